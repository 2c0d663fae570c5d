"""Where deploy_config_network_info and the CloudReactor deployer once disagreed (issue 15), one test per case.

What the deployer does, as read in its source (deploy.yml's vars, sync_task.yml, the Task template of 4.x and of
3.x for schema 3): layers merge with ``combine(recursive=true)``, whose arguments that are null are dropped;
schema 3's Task template takes ``project_aws.subnets`` / ``project_aws.security_groups`` with ``default()`` when the
merged ``ecs.task.network`` has no such key; tasks whose merged ``deployed`` is not true are not deployed; a task
entry that is null survives the merge and fails the sync; schema 4 merges the Run Environment's AWS settings into
every task before sending it.
"""

import pytest
from test_deploy_config_info import RE_NETWORK, run_info, task, warnings_of, write_vars

GROUPS = ["sg-0e0e0e0e0e0e0e0e1"]
SUBNETS = ["subnet-0e0e0e0e0e0e0e0e1"]
TASK_SUBNETS = ["subnet-0f0f0f0f0f0f0f0f1"]


def origin(entry, field):
    found = entry["sources"][field]
    return found["level"], found["file"], found["key"], found["fixed_at"]


# -- 1. schema 3 falls back to project_aws.subnets / project_aws.security_groups -----------------------------------


def test_schema3_falls_back_to_the_top_of_project_aws(tmp_path):
    common = {"task_name_to_config": {"t": {"ecs": {"task": {"network": {"assign_public_ip": False}}}}}}
    env = {"project_aws": {"subnets": SUBNETS, "security_groups": GROUPS}}

    entry = task(run_info(write_vars(tmp_path, common, env)), "t")

    assert entry["network"] == {"subnets": SUBNETS, "security_groups": GROUPS, "assign_public_ip": False}
    assert origin(entry, "subnets") == (2, "vars/staging.yml", "project_aws.subnets", "deploy")
    assert origin(entry, "security_groups") == (2, "vars/staging.yml", "project_aws.security_groups", "deploy")
    assert entry["unresolved"] == []


def test_schema3_fallback_is_below_every_network_level_and_not_for_an_explicit_null(tmp_path):
    network = {"subnets": TASK_SUBNETS, "security_groups": None}
    common = {"task_name_to_config": {"t": {"ecs": {"task": {"network": network}}}}}
    env = {"project_aws": {"subnets": SUBNETS, "security_groups": GROUPS}}

    entry = task(run_info(write_vars(tmp_path, common, env)), "t")

    assert entry["network"]["subnets"] == TASK_SUBNETS
    # default() keeps a null: the template sends it, and the task falls back to the Run Environment when it runs.
    assert entry["network"]["security_groups"] is None
    assert entry["sources"]["security_groups"]["fixed_at"] == "run"
    assert entry["sources"]["security_groups"]["null_from"] == (
        "vars/common.yml: task_name_to_config.t.ecs.task.network.security_groups"
    )


def test_schema3_network_null_takes_the_fallback(tmp_path):
    """A null network leaves no key for default() to find: the top of project_aws applies again."""
    common = {
        "default_task_config": {"ecs": {"task": {"network": {"subnets": TASK_SUBNETS}}}},
        "task_name_to_config": {"t": {"ecs": {"task": {"network": None}}}},
    }
    env = {"project_aws": {"subnets": SUBNETS}}

    entry = task(run_info(write_vars(tmp_path, common, env)), "t")

    assert entry["network"]["subnets"] == SUBNETS
    assert entry["sources"]["subnets"]["null_from"] == "vars/common.yml: task_name_to_config.t.ecs.task.network"


# -- 3. deployed: false ------------------------------------------------------------------------------------------------


def test_undeployed_tasks_are_marked_and_left_out_of_networks(tmp_path):
    common = {
        "schema_version": 4,
        "project_aws": {"network": {"subnets": SUBNETS, "security_groups": GROUPS}},
        "project_task_config": {"deployed": False},
        "project_task_name_to_config": {
            "retired": {"aws": {"network": {"subnets": TASK_SUBNETS}}},
            "kept": {"deployed": True},
            "quoted": {"deployed": "true"},
        },
    }
    env = {"env_task_name_to_config": {"retired": {"deployed": "True"}}}  # to_string("True") is not "true"

    result = run_info(write_vars(tmp_path, common, env))

    assert {item["name"]: item["deployed"] for item in result["tasks"]} == {
        "retired": False,
        "kept": True,
        "quoted": True,
    }
    assert [network["tasks"] for network in result["networks"]] == [["kept", "quoted"]]
    everything = run_info(tmp_path, include_undeployed=True)
    assert [network["tasks"] for network in everything["networks"]] == [["retired"], ["kept", "quoted"]]


# -- 4. aws: null ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("common_extra", "task_config"),
    [
        ({}, {"aws": None}),
        ({"project_task_config": {"aws": None}}, {}),
        ({"env_to_task_config": {"staging": {"aws": None}}}, {}),
    ],
    ids=["task-level", "project_task_config", "env_to_task_config"],
)
def test_a_null_aws_is_dropped_and_the_levels_below_apply(tmp_path, common_extra, task_config):
    common = {
        "schema_version": 4,
        "project_aws": {"network": {"subnets": SUBNETS, "security_groups": GROUPS, "assign_public_ip": False}},
        "project_task_name_to_config": {"t": task_config},
        **common_extra,
    }

    entry = task(run_info(write_vars(tmp_path, common, {}), run_environment_network=RE_NETWORK), "t")

    assert entry["network"] == {"subnets": SUBNETS, "security_groups": GROUPS, "assign_public_ip": False}
    assert origin(entry, "subnets") == (2, "vars/common.yml", "project_aws.network.subnets", "deploy")


def test_schema3_null_ecs_is_dropped_too(tmp_path):
    common = {
        "default_task_config": {"ecs": {"task": {"network": {"subnets": SUBNETS}}}},
        "task_name_to_config": {"t": {"ecs": None}},
    }

    entry = task(run_info(write_vars(tmp_path, common, {})), "t")

    assert origin(entry, "subnets") == (4, "vars/common.yml", "default_task_config.ecs.task.network.subnets", "deploy")


# -- 5. null task entries ----------------------------------------------------------------------------------------------


def test_a_null_task_entry_is_warned_about(tmp_path):
    common = {"schema_version": 4, "project_task_name_to_config": {"commented_out": None, "fine": {}}}
    env = {"env_task_name_to_config": {"fine": None, "rescued": None}}
    common["project_task_name_to_config"]["rescued"] = None
    env["env_task_name_to_config"]["rescued"] = {"command": "run.sh"}

    warnings = warnings_of(run_info(write_vars(tmp_path, common, env)))

    null_entries = [warning for warning in warnings if "is null" in warning]
    assert null_entries == [
        "task commented_out: vars/common.yml: project_task_name_to_config.commented_out is null (every setting "
        "under it commented out?); the deployer fails when it syncs such a task: give it a mapping ({} for none) "
        "or remove it",
        "task fine: vars/staging.yml: env_task_name_to_config.fine is null (every setting under it commented out?); "
        "the deployer fails when it syncs such a task: give it a mapping ({} for none) or remove it",
    ]


# -- 6. fixed at deploy time, or falling back when the task runs ----------------------------------------------------


def test_schema4_values_left_to_the_run_environment_are_fixed_at_deploy_time(tmp_path):
    common = {
        "schema_version": 4,
        "project_aws": {"network": {"subnets": SUBNETS}},
        "project_task_name_to_config": {"t": {"aws": {"network": {"assign_public_ip": None}}}},
    }

    entry = task(run_info(write_vars(tmp_path, common, {}), run_environment_network=RE_NETWORK), "t")

    assert origin(entry, "subnets") == (2, "vars/common.yml", "project_aws.network.subnets", "deploy")
    # Set nowhere: the deployer copies the Run Environment's groups into the task when it deploys.
    assert origin(entry, "security_groups") == (1, None, "run_environment", "deploy")
    assert entry["network"]["security_groups"] == RE_NETWORK["security_groups"]
    # An explicit null is sent as null: the Run Environment's value when the task runs.
    assert origin(entry, "assign_public_ip") == (1, None, "run_environment", "run")


def test_schema3_values_set_nowhere_fall_back_when_the_task_runs(tmp_path):
    common = {"task_name_to_config": {"t": {"ecs": {"task": {"network": {"subnets": SUBNETS}}}}}}

    entry = task(run_info(write_vars(tmp_path, common, {})), "t")

    assert origin(entry, "subnets")[3] == "deploy"
    assert origin(entry, "security_groups") == (1, None, "run_environment", "run")
    assert origin(entry, "assign_public_ip") == (1, None, "run_environment", "run")
