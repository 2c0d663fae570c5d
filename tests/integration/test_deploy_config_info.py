"""deploy_config_network_info: schema detection, the task list, every task's effective network with the deployer's
nine-level precedence, where each value comes from and when it is decided. Also the helpers the other
deploy_config tests use."""

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultSecret
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "deploy_config"
VAULT_PASSWORD = "cloudreactor-test-vault"  # the documented test password (tests/fixtures/deploy_config/README.md)
VAULT_ID = "prod"
RE_NETWORK = {
    "subnets": ["subnet-0bbbbbbbbbbbbbbb1"],
    "security_groups": ["sg-0bbbbbbbbbbbbbbb1"],
    "assign_public_ip": True,
    "vpc_id": "vpc-0bbbbbbbbbbbbbbb1",
}

# -- helpers -----------------------------------------------------------------------------------------------------


def warnings_of(result):
    return list(result.get("warnings", []))


def vault_secrets(password=VAULT_PASSWORD, vault_id=VAULT_ID):
    """The play's vault secrets as ansible-playbook builds them from ``--vault-id <vault_id>@<file>``."""
    return [(vault_id, VaultSecret(password.encode()))]


def run(action, check_mode=False, diff=False, secrets=None, **params):
    """Run the action plugin ``cloudreactor.aws.<action>`` in this process as a task would: the task's arguments,
    check and diff mode, and a DataLoader holding the play's vault ``secrets``."""
    loader = DataLoader()
    loader.set_vault_secrets(secrets)
    task = Task()
    task.action = f"cloudreactor.aws.{action}"
    task.args = params
    task.check_mode = check_mode
    task.diff = diff
    plugin = importlib.import_module(f"ansible_collections.cloudreactor.aws.plugins.action.{action}")
    # No connection is used (the files are the controller's), but ActionBase.run looks at its shell's tmpdir.
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
    action = plugin.ActionModule(
        task=task,
        connection=connection,
        play_context=PlayContext(),
        loader=loader,
        templar=Templar(loader=loader),
        shared_loader_obj=None,
    )
    try:
        return action.run(task_vars={})
    except AnsibleActionFail as error:  # the task executor reports it as the task's failure
        return {"failed": True, "msg": error.message}


def run_info(directory, environment="staging", **params):
    return run(
        "deploy_config_network_info", deploy_config_dir=str(directory), deployment_environment=environment, **params
    )


@pytest.fixture(scope="session")
def vault_production(tmp_path_factory):
    """vars/production.yml encrypted by the ansible-vault CLI, with the vault id label ``prod``."""
    work = tmp_path_factory.mktemp("vault")
    source = work / "production.yml"
    shutil.copy(FIXTURES / "schema4" / "vault_plaintext" / "production.yml", source)
    vault("encrypt", source, work)
    return source.read_text()


def vault(action, path, work=None, password=VAULT_PASSWORD):
    """Run ``ansible-vault <action> <path>`` with the test password (vault id ``prod``); its stdout."""
    work = Path(work or Path(path).parent)
    password_file = work / ".vault-password"
    password_file.write_text(password)
    arguments = [str(Path(sys.executable).parent / "ansible-vault"), action, str(path)]
    if action == "encrypt":
        arguments += ["--vault-id", f"{VAULT_ID}@{password_file}"]
    else:
        arguments += ["--vault-password-file", str(password_file)]
    completed = subprocess.run(arguments, capture_output=True, text=True, check=True)
    return completed.stdout


def project(tmp_path, schema=4, production=None):
    """A copy of a fixture tree in tmp_path; with ``production`` (vault text), schema 4 gets vars/production.yml."""
    target = tmp_path / f"schema{schema}"
    shutil.copytree(FIXTURES / f"schema{schema}", target)
    directory = target / "deploy_config"
    if production:
        (directory / "vars" / "production.yml").write_text(production)
    return directory


def task(result, name):
    return next(item for item in result["tasks"] if item["name"] == name)


def sources(entry):
    return {field: (origin["level"], origin["file"], origin["key"]) for field, origin in entry["sources"].items()}


def write_vars(directory, common, env=None, environment="staging"):
    (directory / "vars").mkdir(parents=True, exist_ok=True)
    (directory / "vars" / "common.yml").write_text(yaml.safe_dump(common, sort_keys=False))
    if env is not None:
        (directory / "vars" / f"{environment}.yml").write_text(yaml.safe_dump(env, sort_keys=False))
    return directory


def deep_merge(target, source):
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
    return target


# -- the fixtures as the deployer sees them --------------------------------------------------------------------------


def test_schema4_every_task_and_the_origin_of_each_value(tmp_path):
    result = run_info(project(tmp_path))

    assert result["changed"] is False
    assert result["schema_version"] == 4
    assert result["env_file_status"] == "plain" and result["complete"] is True
    assert result["run_environment"] == "widgets staging"
    assert result["region"] == "us-west-2"
    assert result["legacy_keys"] == []
    assert [item["name"] for item in result["tasks"]] == [
        "extract_orders",
        "load_warehouse",
        "report_daily",
        "refresh_cache",
    ]
    staging_subnets = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    common, env = "vars/common.yml", "vars/staging.yml"
    shared_groups = (4, common, "project_task_config.aws.network.security_groups")
    private = (2, common, "project_aws.network.assign_public_ip")

    extract = task(result, "extract_orders")
    assert extract["network"] == {
        "subnets": staging_subnets,
        "security_groups": ["sg-0a1b2c3d4e5f60718"],
        "assign_public_ip": False,
    }
    assert sources(extract) == {
        "subnets": (3, env, "env_aws.network.subnets"),
        "security_groups": shared_groups,
        "assign_public_ip": private,
    }
    # Lists are replaced, not appended: the task's one subnet replaces the environment's two.
    warehouse = task(result, "load_warehouse")
    assert warehouse["network"]["subnets"] == ["subnet-0f0e0d0c0b0a09080"]
    assert sources(warehouse)["subnets"] == (
        7,
        common,
        "project_task_name_to_config.load_warehouse.aws.network.subnets",
    )
    # A task-level key of common.yml (7) beats the environment-wide key of <env>.yml (3).
    assert warehouse["sources"]["security_groups"]["level"] == 4
    # null hands the value back to the Run Environment.
    report = task(result, "report_daily")
    assert report["network"]["assign_public_ip"] is None
    assert report["unresolved"] == ["assign_public_ip"]
    assert report["sources"]["assign_public_ip"] == {
        "level": 1,
        "file": None,
        "key": "run_environment",
        "null_from": "vars/common.yml: env_to_task_name_to_config.staging.report_daily.aws.network.assign_public_ip",
        "fixed_at": "run",
    }
    cache = task(result, "refresh_cache")
    assert sources(cache)["subnets"] == (9, env, "env_task_name_to_config.refresh_cache.aws.network.subnets")
    assert [network["tasks"] for network in result["networks"]] == [
        ["extract_orders"],
        ["load_warehouse"],
        ["report_daily"],
        ["refresh_cache"],
    ]
    assert [network["auditable"] for network in result["networks"]] == [True, True, True, True]


def test_run_environment_network_fills_what_deploy_config_leaves_to_it(tmp_path):
    result = run_info(project(tmp_path), run_environment_network=RE_NETWORK)

    report = task(result, "report_daily")
    assert report["network"]["assign_public_ip"] is True
    assert report["unresolved"] == []
    assert report["sources"]["assign_public_ip"]["level"] == 1
    assert report["sources"]["assign_public_ip"]["null_from"].startswith("vars/common.yml: env_to_task_name_to_config")
    # Values set in deploy_config still win over the Run Environment.
    assert task(result, "extract_orders")["network"]["subnets"] == [
        "subnet-0123456789abcdef0",
        "subnet-0123456789abcdef1",
    ]


def test_schema3_legacy_paths_anchors_and_merges(tmp_path):
    result = run_info(project(tmp_path, 3))

    assert result["schema_version"] == 3
    assert result["run_environment"] == "Staging"
    assert result["region"] == "us-west-2"
    assert [item["name"] for item in result["tasks"]] == ["task_1", "file_io", "web_server"]
    env_subnets = ["subnet-0d1d2d3d4d5d6d7d8", "subnet-0d1d2d3d4d5d6d7d9"]
    task_1 = task(result, "task_1")
    assert task_1["network"] == {
        "subnets": env_subnets,
        "security_groups": ["sg-0b1b2b3b4b5b6b7b8"],
        "assign_public_ip": False,
    }
    # project_aws (level 2, the environment file) is the lowest level: default_task_config's groups win over it,
    # and task_1 gets them again through its << merge (level 7).
    assert sources(task_1) == {
        "subnets": (2, "vars/staging.yml", "project_aws.ecs.task.network.subnets"),
        "security_groups": (7, "vars/common.yml", "task_name_to_config.task_1.ecs.task.network.security_groups"),
        "assign_public_ip": (2, "vars/staging.yml", "project_aws.ecs.task.network.assign_public_ip"),
    }
    file_io = task(result, "file_io")
    assert file_io["network"]["subnets"] == ["subnet-0c1c2c3c4c5c6c7c8"]
    assert file_io["sources"]["security_groups"]["level"] == 4  # merged key by key across levels
    web = task(result, "web_server")
    assert web["unresolved"] == ["assign_public_ip"]
    assert "env_to_task_name_to_config.staging.web_server" in web["sources"]["assign_public_ip"]["null_from"]


def test_only_the_tasks_asked_for(tmp_path):
    result = run_info(project(tmp_path), tasks=["refresh_cache", "extract_orders"])

    assert [item["name"] for item in result["tasks"]] == ["extract_orders", "refresh_cache"]


def test_unknown_task_is_an_input_error(tmp_path):
    result = run_info(project(tmp_path), tasks=["nope"])

    assert result["failed"] is True
    assert result["msg"].startswith("tasks: unknown task(s) nope")


# -- vault ---------------------------------------------------------------------------------------------------------


def test_encrypted_env_file_without_password_is_reported_not_a_crash(tmp_path, vault_production):
    result = run_info(project(tmp_path, production=vault_production), "production")

    assert result.get("failed") is not True
    assert result["env_file_status"] == "encrypted"
    assert result["complete"] is False
    assert any("vault-encrypted and the play has no vault secret" in warning for warning in warnings_of(result))
    # Only common.yml counted: production's subnets are unknown, its common.yml groups are there.
    extract = task(result, "extract_orders")
    assert extract["unresolved"] == ["subnets"]
    assert extract["network"]["security_groups"] == ["sg-1a2b3c4d5e6f70819"]
    assert extract["sources"]["security_groups"]["key"] == "env_to_task_config.production.aws.network.security_groups"


def test_encrypted_env_file_with_the_play_vault_secret(tmp_path, vault_production):
    result = run_info(project(tmp_path, production=vault_production), "production", secrets=vault_secrets())

    assert result["env_file_status"] == "decrypted" and result["complete"] is True
    assert result["run_environment"] == "widgets production"
    extract = task(result, "extract_orders")
    assert extract["network"] == {
        "subnets": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        "security_groups": ["sg-1a2b3c4d5e6f70819"],
        "assign_public_ip": False,
    }
    assert sources(extract)["assign_public_ip"] == (
        6,
        "vars/production.yml",
        "env_task_config.aws.network.assign_public_ip",
    )
    assert "NOT-A-REAL-KEY" not in str(result)


def test_wrong_vault_secret_is_reported_as_unreadable(tmp_path, vault_production):
    result = run_info(
        project(tmp_path, production=vault_production), "production", secrets=vault_secrets("wrong-password-7c1")
    )

    assert result.get("failed") is not True
    assert result["env_file_status"] == "encrypted"
    assert any("none of the play's vault secrets decrypts it" in warning for warning in warnings_of(result))
    assert "wrong-password-7c1" not in str(result)


def test_the_vault_password_option_is_gone(tmp_path):
    """vault_password was removed, not deprecated: the play's vault secrets replace it."""
    result = run_info(project(tmp_path), vault_password=VAULT_PASSWORD)

    assert result["failed"] is True
    assert "Unsupported parameters" in result["msg"] and "vault_password" in result["msg"]
    assert VAULT_PASSWORD not in result["msg"]


# -- files and schema ----------------------------------------------------------------------------------------------


def test_missing_env_file_reads_common_only(tmp_path):
    result = run_info(project(tmp_path), "qa")

    assert result["env_file_status"] == "missing"
    assert any("vars/qa.yml does not exist" in warning for warning in warnings_of(result))
    assert task(result, "extract_orders")["unresolved"] == ["subnets"]


def test_env_file_stem_drops_odd_characters_or_is_given(tmp_path):
    directory = project(tmp_path)
    assert run_info(directory, "stag.ing!")["env_file"].endswith("vars/staging.yml")
    shutil.copy(directory / "vars" / "staging.yml", directory / "vars" / "staging-cmdline.yml")
    result = run_info(directory, "staging", config_filename_stem="staging-cmdline")
    assert result["env_file"].endswith("vars/staging-cmdline.yml")
    assert result["env_file_status"] == "plain"


def test_legacy_keys_in_a_schema4_project_are_reported(tmp_path):
    directory = write_vars(tmp_path, {"schema_version": 4, "task_name_to_config": {"a": {}}}, {"cloudreactor": {}})

    result = run_info(directory)

    assert result["legacy_keys"] == ["vars/common.yml: task_name_to_config", "vars/staging.yml: cloudreactor"]
    assert any("schema 3 keys" in warning for warning in warnings_of(result))


@pytest.mark.parametrize(
    ("common", "env", "message"),
    [
        ({"schema_version": 5}, {}, "schema_version 5 is not supported"),
        (
            {"schema_version": 4, "project_aws": {"network": "x"}, "project_task_name_to_config": {"t": None}},
            {},
            "project_aws.network must be a mapping",
        ),
        (
            {
                "schema_version": 4,
                "project_aws": {"network": {"subnets": "subnet-11111111"}},
                "project_task_name_to_config": {"t": None},
            },
            {},
            "vars/common.yml: project_aws.network.subnets must be a list of ids",
        ),
        (
            {"schema_version": 4, "project_task_name_to_config": {"t": None}},
            {"env_aws": {"network": {"assign_public_ip": "no way"}}},
            "vars/staging.yml: env_aws.network.assign_public_ip must be true or false",
        ),
        ({"schema_version": 4}, "- a list\n", "must hold a mapping of variables"),
        ({"schema_version": 4}, "a: [unclosed\n", "vars/staging.yml: not valid YAML (line 2"),
    ],
)
def test_broken_files_are_clear_errors(tmp_path, common, env, message):
    write_vars(tmp_path, common)
    if isinstance(env, str):
        (tmp_path / "vars" / "staging.yml").write_text(env)
    else:
        (tmp_path / "vars" / "staging.yml").write_text(yaml.safe_dump(env))

    result = run_info(tmp_path)

    assert result["failed"] is True
    assert message in result["msg"]


def test_not_a_deploy_config_dir(tmp_path):
    directory = project(tmp_path)

    result = run_info(directory.parent)

    assert result["failed"] is True
    assert result["msg"].startswith("deploy_config_dir:") and f"did you mean {directory}" in result["msg"]


def test_templated_values_are_returned_unrendered(tmp_path):
    common = {
        "schema_version": 4,
        "project_aws": {"network": {"subnets": "{{ private_subnets }}", "security_groups": ["sg-11111111"]}},
        "project_task_name_to_config": {"t": None},
    }
    result = run_info(write_vars(tmp_path, common, {}))

    entry = task(result, "t")
    assert entry["network"]["subnets"] == "{{ private_subnets }}"
    assert entry["templated"] == ["subnets"]
    assert result["networks"][0]["auditable"] is False


def test_null_network_hands_every_value_to_the_run_environment(tmp_path):
    common = {
        "schema_version": 4,
        "project_aws": {"network": {"subnets": ["subnet-11111111"], "security_groups": ["sg-11111111"]}},
        "project_task_name_to_config": {"t": {"aws": {"network": None}}},
    }
    result = run_info(write_vars(tmp_path, common, {}), run_environment_network=RE_NETWORK)

    entry = task(result, "t")
    assert entry["network"] == {
        field: RE_NETWORK[field] for field in ("subnets", "security_groups", "assign_public_ip")
    }
    assert {origin["null_from"] for origin in entry["sources"].values()} == {
        "vars/common.yml: project_task_name_to_config.t.aws.network"
    }


def test_a_top_level_key_in_the_env_file_replaces_common_whole(tmp_path):
    """Both files are Ansible vars files: the environment file's project_aws replaces common.yml's, not merged."""
    common = {
        "project_aws": {
            "ecs": {"task": {"network": {"subnets": ["subnet-11111111"], "security_groups": ["sg-11111111"]}}}
        },
        "task_name_to_config": {"t": None},
    }
    env = {"project_aws": {"ecs": {"task": {"network": {"subnets": ["subnet-22222222"]}}}}}
    result = run_info(write_vars(tmp_path, common, env))

    entry = task(result, "t")
    assert entry["network"]["subnets"] == ["subnet-22222222"]
    assert entry["unresolved"] == ["security_groups", "assign_public_ip"]


# -- precedence: each level beats the one below it -------------------------------------------------------------------

LEVEL_PATHS = {
    4: {
        2: ("common", ["project_aws", "network"]),
        3: ("env", ["env_aws", "network"]),
        4: ("common", ["project_task_config", "aws", "network"]),
        5: ("common", ["env_to_task_config", "staging", "aws", "network"]),
        6: ("env", ["env_task_config", "aws", "network"]),
        7: ("common", ["project_task_name_to_config", "t", "aws", "network"]),
        8: ("common", ["env_to_task_name_to_config", "staging", "t", "aws", "network"]),
        9: ("env", ["env_task_name_to_config", "t", "aws", "network"]),
    },
    3: {
        2: ("env", ["project_aws", "ecs", "task", "network"]),
        4: ("common", ["default_task_config", "ecs", "task", "network"]),
        5: ("common", ["env_to_default_task_config", "staging", "ecs", "task", "network"]),
        6: ("env", ["default_env_task_config", "ecs", "task", "network"]),
        7: ("common", ["task_name_to_config", "t", "ecs", "task", "network"]),
        8: ("common", ["env_to_task_name_to_config", "staging", "t", "ecs", "task", "network"]),
        9: ("env", ["task_name_to_env_config", "t", "ecs", "task", "network"]),
    },
}
PAIRS = [(4, level, below) for level, below in zip(range(2, 10), range(1, 9), strict=True)] + [
    (3, level, below) for level, below in ((2, 1), (4, 2), (5, 4), (6, 5), (7, 6), (8, 7), (9, 8))
]


def nested(path, value):
    for key in reversed(path):
        value = {key: value}
    return value


def subnet_of(level):
    return f"subnet-{level:08x}"


@pytest.mark.parametrize(
    ("schema", "level", "below"), PAIRS, ids=[f"schema{s}-level{high}-over-{low}" for s, high, low in PAIRS]
)
def test_level_wins_over_the_one_below(tmp_path, schema, level, below):
    common = {"schema_version": 4} if schema == 4 else {}
    task_map = "project_task_name_to_config" if schema == 4 else "task_name_to_config"
    common[task_map] = {"t": {}}
    env = {}
    run_environment = None
    for this in (below, level):
        value = {"subnets": [subnet_of(this)], "security_groups": [f"sg-{this:08x}"]}
        if this == 1:
            run_environment = value
            continue
        kind, path = LEVEL_PATHS[schema][this]
        deep_merge(common if kind == "common" else env, nested(path, value))
    result = run_info(write_vars(tmp_path, common, env), run_environment_network=run_environment)

    entry = task(result, "t")
    assert entry["network"]["subnets"] == [subnet_of(level)]
    assert entry["sources"]["subnets"]["level"] == level
    kind, path = LEVEL_PATHS[schema][level]
    assert entry["sources"]["subnets"]["file"] == ("vars/common.yml" if kind == "common" else "vars/staging.yml")
    assert entry["sources"]["subnets"]["key"] == ".".join([*path, "subnets"])
