"""deploy_config_network: write a network into deploy_config where the deployer reads it, changing nothing else.

Round trips compare whole texts: the expected file is the original with exactly the network lines changed, so a
lost comment, a re-quoted string or a moved key fails the test."""

import os
import stat
from pathlib import Path

import pytest
import yaml
from test_deploy_config_info import (  # noqa: F401 - vault_production is a fixture
    VAULT_PASSWORD,
    project,
    run,
    run_info,
    task,
    vault,
    vault_production,
    vault_secrets,
    warnings_of,
    write_vars,
)

SUBNETS = ["subnet-0c0c0c0c0c0c0c0c1", "subnet-0c0c0c0c0c0c0c0c2", "subnet-0c0c0c0c0c0c0c0c3"]
GROUP = "sg-0c0c0c0c0c0c0c0c1"
NETWORK = {"subnets": SUBNETS, "security_groups": [GROUP], "assign_public_ip": False}
LEGACY = {"default_task_config", "task_name_to_config", "env_to_default_task_config", "default_env_task_config"}


def write(directory, environment="staging", check_mode=False, diff=False, **params):
    params = {"subnets": SUBNETS, "security_groups": [GROUP], "assign_public_ip": False, **params}
    params = {key: value for key, value in params.items() if value is not None}
    return run(
        "deploy_config_network",
        check_mode=check_mode,
        diff=diff,
        deploy_config_dir=str(directory),
        deployment_environment=environment,
        **params,
    )


def text(directory, name):
    return (directory / "vars" / name).read_text()


def snapshot(directory):
    return {path.name: path.read_bytes() for path in sorted((directory / "vars").iterdir())}


def key_paths(data, prefix=()):
    """Every key path of nested mappings."""
    for key, value in data.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from key_paths(value, (*prefix, key))


def items(values, column):
    return "".join(f"{' ' * column}- {value}\n" for value in values)


# -- schema 4 --------------------------------------------------------------------------------------------------------


def test_schema4_env_file_round_trip_changes_only_the_network(tmp_path):
    directory = project(tmp_path)
    original, common = text(directory, "staging.yml"), text(directory, "common.yml")

    result = write(directory, diff=True)

    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert (result["location"], result["key"], result["level"]) == ("env_file", "env_aws.network", 3)
    assert result["path"] == str(directory / "vars" / "staging.yml")
    expected = original.replace(
        items(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], 6),
        items(SUBNETS, 6) + "    security_groups:\n" + items([GROUP], 6) + "    assign_public_ip: false\n",
    )
    assert expected != original
    assert text(directory, "staging.yml") == expected
    assert text(directory, "common.yml") == common
    assert result["diff"] == {
        "before": original,
        "after": expected,
        "before_header": result["path"],
        "after_header": result["path"],
    }
    assert result["network"] == NETWORK
    assert yaml.safe_load(expected)["env_aws"]["network"] == NETWORK
    # Reading back: the task without overrides gets the written subnets from env_aws.network.
    extract = task(run_info(directory), "extract_orders")
    assert extract["network"]["subnets"] == SUBNETS
    assert extract["sources"]["subnets"]["key"] == "env_aws.network.subnets"

    again = write(directory)

    assert again["changed"] is False
    assert text(directory, "staging.yml") == expected


def test_tasks_that_will_not_see_the_written_values_are_reported(tmp_path):
    result = write(project(tmp_path))

    overridden = {(entry["task"], entry["field"]): (entry["level"], entry["key"]) for entry in result["overridden"]}
    groups = (4, "project_task_config.aws.network.security_groups")
    assert overridden == {
        ("extract_orders", "security_groups"): groups,
        ("load_warehouse", "security_groups"): groups,
        ("report_daily", "security_groups"): groups,
        ("refresh_cache", "security_groups"): groups,
        ("load_warehouse", "subnets"): (7, "project_task_name_to_config.load_warehouse.aws.network.subnets"),
        ("refresh_cache", "subnets"): (9, "env_task_name_to_config.refresh_cache.aws.network.subnets"),
        ("report_daily", "assign_public_ip"): (
            8,
            "env_to_task_name_to_config.staging.report_daily.aws.network.assign_public_ip",
        ),
    }
    assert any("4 task(s) do not get every value" in warning for warning in warnings_of(result))


def test_schema4_common_target_writes_the_environment_entry(tmp_path):
    directory = project(tmp_path)
    original, env = text(directory, "common.yml"), text(directory, "staging.yml")

    result = write(directory, target="common")

    assert (result["location"], result["key"], result["level"]) == (
        "common",
        "env_to_task_config.staging.aws.network",
        5,
    )
    anchor = "        security_groups: [sg-1a2b3c4d5e6f70819]\n"
    added = (
        "  staging:\n    aws:\n      network:\n        subnets:\n"
        + items(SUBNETS, 10)
        + "        security_groups:\n"
        + items([GROUP], 10)
        + "        assign_public_ip: false\n"
    )
    assert text(directory, "common.yml") == original.replace(anchor, anchor + added)
    assert text(directory, "staging.yml") == env
    # Level 5 beats project_task_config (4): every task without its own groups now gets the written one.
    assert task(run_info(directory), "extract_orders")["network"]["security_groups"] == [GROUP]
    assert write(directory, target="common")["changed"] is False


def test_schema4_never_gets_schema3_keys(tmp_path):
    directory = project(tmp_path)

    write(directory, target="env_file")
    write(directory, target="common", subnets=[SUBNETS[0]])
    write(directory, "qa")  # a new environment file

    for name in ("common.yml", "staging.yml", "qa.yml"):
        data = yaml.safe_load(text(directory, name))
        assert not LEGACY & set(data), name
        assert not any("ecs" in path for path in key_paths(data)), name
    assert run_info(directory)["legacy_keys"] == []


def test_only_the_given_values_change(tmp_path):
    directory = project(tmp_path)
    original = text(directory, "staging.yml")

    result = write(directory, subnets=[SUBNETS[0]], security_groups=None, assign_public_ip=None)

    assert result["network"] == {"subnets": [SUBNETS[0]]}
    expected = original.replace(
        items(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], 6), items([SUBNETS[0]], 6)
    )
    assert text(directory, "staging.yml") == expected


def test_same_ids_in_another_order_change_nothing(tmp_path):
    directory = project(tmp_path)
    before = snapshot(directory)

    result = write(directory, subnets=["subnet-0123456789abcdef1", "subnet-0123456789abcdef0"], security_groups=None)

    assert result["changed"] is True  # assign_public_ip is new in the file
    result = write(directory, subnets=["subnet-0123456789abcdef1", "subnet-0123456789abcdef0"], security_groups=None)
    assert result["changed"] is False
    assert "subnet-0123456789abcdef0\n      - subnet-0123456789abcdef1" in text(directory, "staging.yml")
    assert snapshot(directory) != before


def test_check_mode_shows_the_diff_and_writes_nothing(tmp_path):
    directory = project(tmp_path)
    before = snapshot(directory)

    result = write(directory, check_mode=True, diff=True)

    assert result["changed"] is True
    assert snapshot(directory) == before
    assert result["diff"]["before"] == before["staging.yml"].decode()
    assert "    security_groups:\n" + items([GROUP], 6) in result["diff"]["after"]


def test_diff_only_in_diff_mode(tmp_path):
    assert "diff" not in write(project(tmp_path))


def test_creates_a_missing_env_file_from_a_skeleton(tmp_path):
    directory = project(tmp_path)

    checked = write(directory, "qa", check_mode=True)
    assert checked["changed"] is True and checked["created"] is True
    assert not (directory / "vars" / "qa.yml").exists()

    result = write(directory, "qa")

    assert result["created"] is True and result["changed"] is True
    content = text(directory, "qa.yml")
    assert content.startswith('---\n# Settings of the "qa" deployment environment')
    assert yaml.safe_load(content) == {"env_aws": {"network": NETWORK}}
    assert task(run_info(directory, "qa"), "extract_orders")["network"]["subnets"] == SUBNETS
    again = write(directory, "qa")
    assert again["changed"] is False and again["created"] is False


# -- schema 3 --------------------------------------------------------------------------------------------------------


def test_schema3_env_file_uses_the_legacy_path_and_keeps_the_boolean_style(tmp_path):
    directory = project(tmp_path, 3)
    original = text(directory, "staging.yml")

    result = write(directory, subnets=[SUBNETS[0]], assign_public_ip=True)

    assert (result["key"], result["level"]) == ("project_aws.ecs.task.network", 2)
    expected = (
        original.replace(items(["subnet-0d1d2d3d4d5d6d7d8", "subnet-0d1d2d3d4d5d6d7d9"], 10), items([SUBNETS[0]], 10))
        .replace(items(["sg-0e1e2e3e4e5e6e7e8"], 10), items([GROUP], 10))
        .replace("assign_public_ip: False", "assign_public_ip: True")
    )
    assert text(directory, "staging.yml") == expected
    assert write(directory, subnets=[SUBNETS[0]], assign_public_ip=True)["changed"] is False


def test_schema3_common_target(tmp_path):
    directory = project(tmp_path, 3)
    original = text(directory, "common.yml")

    result = write(directory, target="common")

    assert result["key"] == "env_to_default_task_config.staging.ecs.task.network"
    added = (
        "env_to_default_task_config:\n  staging:\n    ecs:\n      task:\n        network:\n          subnets:\n"
        + items(SUBNETS, 12)
        + "          security_groups:\n"
        + items([GROUP], 12)
        + "          assign_public_ip: false\n"
    )
    assert text(directory, "common.yml") == original + added
    assert "aws:" not in added
    assert task(run_info(directory), "task_1")["network"]["subnets"] == SUBNETS


def test_schema3_env_file_without_project_aws_uses_default_env_task_config(tmp_path):
    directory = project(tmp_path, 3)

    result = write(directory, "qa")

    assert result["key"] == "default_env_task_config.ecs.task.network"
    assert yaml.safe_load(text(directory, "qa.yml")) == {
        "default_env_task_config": {"ecs": {"task": {"network": NETWORK}}}
    }


# -- vault-encrypted environment file ------------------------------------------------------------------------------


def test_encrypted_env_file_goes_to_common_by_default(tmp_path, vault_production):  # noqa: F811
    directory = project(tmp_path, production=vault_production)
    common = text(directory, "common.yml")

    result = write(directory, "production")

    assert result["location"] == "common" and result["key"] == "env_to_task_config.production.aws.network"
    assert text(directory, "production.yml") == vault_production
    expected = common.replace(
        "        security_groups: [sg-1a2b3c4d5e6f70819]\n",
        f"        security_groups: [{GROUP}]\n        subnets:\n"
        + items(SUBNETS, 10)
        + "        assign_public_ip: false\n",
    )
    assert text(directory, "common.yml") == expected
    assert any("vault-encrypted and the play has no vault secret" in warning for warning in warnings_of(result))


def test_encrypted_env_file_needs_the_vault_secret_to_be_written(tmp_path, vault_production):  # noqa: F811
    directory = project(tmp_path, production=vault_production)
    before = snapshot(directory)

    result = write(directory, "production", target="env_file")

    assert result["failed"] is True
    assert result["msg"].startswith("target: vars/production.yml is vault-encrypted: give ansible-playbook its vault")
    assert snapshot(directory) == before


def test_encrypted_env_file_is_edited_and_encrypted_again(tmp_path, vault_production):  # noqa: F811
    directory = project(tmp_path, production=vault_production)
    plaintext = (directory.parent / "vault_plaintext" / "production.yml").read_text()

    result = write(directory, "production", target="env_file", secrets=vault_secrets(), diff=True)

    assert result["changed"] is True and result["key"] == "env_aws.network"
    stored = text(directory, "production.yml")
    assert stored.startswith("$ANSIBLE_VAULT;1.2;AES256;prod\n")  # same vault id as before
    expected = plaintext.replace(
        items(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"], 6),
        items(SUBNETS, 6) + "    security_groups:\n" + items([GROUP], 6) + "    assign_public_ip: false\n",
    )
    assert vault("view", directory / "vars" / "production.yml") == expected  # ansible-vault itself reads it
    # The diff shows the network only: the rest of the file holds secrets.
    assert "NOT-A-REAL-KEY" not in str(result)
    assert result["diff"]["after"] == (
        "env_aws.network:\n  subnets:\n"
        + items(SUBNETS, 4)
        + "  security_groups:\n"
        + items([GROUP], 4)
        + "  assign_public_ip: false\n"
    )
    assert VAULT_PASSWORD not in str(result)

    again = write(directory, "production", target="env_file", secrets=vault_secrets())

    assert again["changed"] is False
    assert text(directory, "production.yml") == stored  # not re-encrypted when nothing changes


# -- refusals and input errors: nothing is written -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"subnets": None, "security_groups": None, "assign_public_ip": None}, "subnets: give at least one of"),
        ({"subnets": ["subnet-123"]}, "subnets: 'subnet-123' is not a subnet id"),
        ({"security_groups": ["sg-XYZ12345"]}, "security_groups:"),
        ({"subnets": []}, "subnets: must list at least one id"),
        ({"security_groups": [GROUP, GROUP]}, f"security_groups: lists {GROUP} more than once"),
        ({"deployment_environment": "!!!"}, "deployment_environment:"),
        ({"config_filename_stem": "a/b"}, "config_filename_stem:"),
        ({"target": "elsewhere"}, "target"),
    ],
)
def test_invalid_input_writes_nothing(tmp_path, params, message):
    directory = project(tmp_path)
    before = snapshot(directory)
    environment = params.pop("deployment_environment", "staging")

    result = write(directory, environment, **params)

    assert result["failed"] is True
    assert message in result["msg"]
    assert snapshot(directory) == before


def test_refuses_to_shadow_a_key_defined_in_the_other_file(tmp_path):
    directory = write_vars(tmp_path, {"schema_version": 4, "env_aws": {"account_id": "123456789012"}}, {"env_ecs": {}})
    before = snapshot(directory)

    result = write(directory)

    assert result["failed"] is True
    assert result["msg"].startswith("target: vars/common.yml defines env_aws and vars/staging.yml does not")
    assert snapshot(directory) == before


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            "base: &base\n  network:\n    subnets: [subnet-11111111]\nenv_aws: *base\n",
            "env_aws is a YAML alias (*base)",
        ),
        (
            "base: &base\n  network:\n    subnets: [subnet-11111111]\nenv_aws:\n  <<: *base\n  region: us-east-1\n",
            "env_aws.network comes from a YAML merge key (<<)",
        ),
        (
            "env_aws: &aws\n  network:\n    subnets: [subnet-11111111]\nother: *aws\n",
            "would also change other.network.subnets",
        ),
        ("env_aws: [a, b]\n", "env_aws must be a mapping"),
    ],
)
def test_refuses_edits_that_would_change_something_else(tmp_path, env, message):
    directory = write_vars(tmp_path, {"schema_version": 4})
    (directory / "vars" / "staging.yml").write_text(env)

    result = write(directory)

    assert result["failed"] is True
    assert message in result["msg"]
    assert text(directory, "staging.yml") == env


ANCHORED_GROUPS = "  network:\n    security_groups: {properties}\n      - sg-11111111\n    assign_public_ip: {flag}\n"


@pytest.mark.parametrize(
    ("properties", "flag"),
    [("&sgs", "true"), ("!!seq", "true"), ("&sgs # shared below", "&public true"), ("&sgs !!seq", "!!bool true")],
)
def test_anchors_and_tags_on_written_values_are_kept(tmp_path, properties, flag):
    directory = write_vars(tmp_path, {"schema_version": 4})
    env = "env_aws:\n" + ANCHORED_GROUPS.format(properties=properties, flag=flag)
    (directory / "vars" / "staging.yml").write_text(env)

    result = write(directory, subnets=None)

    assert result.get("failed") is not True, result
    flag_properties = flag.removesuffix("true")
    assert text(directory, "staging.yml") == (
        f"env_aws:\n  network:\n    security_groups: {properties}\n      - {GROUP}\n"
        f"    assign_public_ip: {flag_properties}false\n"
    )


def test_an_anchor_on_a_flow_list_is_kept(tmp_path):
    directory = write_vars(tmp_path, {"schema_version": 4})
    (directory / "vars" / "staging.yml").write_text("env_aws:\n  network:\n    subnets: &subnets [subnet-11111111]\n")

    write(directory, security_groups=None, assign_public_ip=None)

    assert text(directory, "staging.yml") == f"env_aws:\n  network:\n    subnets: &subnets [{', '.join(SUBNETS)}]\n"


def test_an_anchor_that_an_alias_repeats_is_refused_by_name(tmp_path):
    directory = write_vars(tmp_path, {"schema_version": 4})
    env = "env_aws:\n  network:\n    subnets: &subnets\n      - subnet-11111111\nenv_batch_subnets: *subnets\n"
    (directory / "vars" / "staging.yml").write_text(env)

    result = write(directory)

    assert result["failed"] is True
    assert result["msg"].startswith(
        "vars/staging.yml: env_aws.network.subnets defines the YAML anchor &subnets, which *subnets repeats "
        "elsewhere in the file"
    )
    assert text(directory, "staging.yml") == env


def test_a_failed_write_leaves_the_file_whole(tmp_path, monkeypatch):
    directory = project(tmp_path)
    before = snapshot(directory)

    def broken_disk(descriptor):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_disk)
    result = write(directory)

    assert result["failed"] is True
    assert "cannot write" in result["msg"] and "Input/output error" in result["msg"]
    assert snapshot(directory) == before  # no half-written file, no temporary file left behind


# -- file details --------------------------------------------------------------------------------------------------


def test_keeps_permissions_and_windows_line_endings(tmp_path):
    directory = project(tmp_path)
    path = directory / "vars" / "staging.yml"
    original = path.read_text().replace("\n", "\r\n")
    path.write_bytes(original.encode())
    path.chmod(0o640)

    write(directory)

    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.decode().startswith(original.split("    subnets:")[0])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert yaml.safe_load(data)["env_aws"]["network"] == NETWORK


def test_flow_style_network_stays_flow(tmp_path):
    directory = write_vars(tmp_path, {"schema_version": 4})
    env = "env_aws: {account_id: '123456789012', network: {subnets: [subnet-11111111]}}  # one line\n"
    Path(directory / "vars" / "staging.yml").write_text(env)

    write(directory)

    assert text(directory, "staging.yml") == (
        "env_aws: {account_id: '123456789012', network: {subnets: ["
        + ", ".join(SUBNETS)
        + f"], security_groups: [{GROUP}], assign_public_ip: false}}}}  # one line\n"
    )


@pytest.mark.parametrize("make_unwritable", ["missing", "file"])
def test_unwritable_deploy_config_dir_is_refused(tmp_path, make_unwritable):
    # Permission bits cannot stop root (tests and CI run as root): a missing directory, or a file where the
    # directory should be, is what cannot be written to here.
    directory = tmp_path / "deploy_config"
    if make_unwritable == "file":
        directory.write_text("not a directory\n")

    result = write(directory)

    assert result["failed"] is True
    assert "deploy_config_dir" in result["msg"]
    assert not (directory / "vars").exists()
