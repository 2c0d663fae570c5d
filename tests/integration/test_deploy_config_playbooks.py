"""The deploy_config flows end to end with ansible-playbook: playbooks/check_deploy_config.yml audits every task's
effective network (emulated AWS, fake CloudReactor for the values left to the Run Environment), and the role's
tasks/publish.yml writes a network into deploy_config and the Run Environment."""

import os
import subprocess
import sys
from pathlib import Path

import yaml
from support.cloudreactor_api_server import cloudreactor  # noqa: F401
from support.network_check_helpers import build_network, private_subnets, public_subnets

REPO = Path(__file__).resolve().parents[2]
KEY = "developer-key"


def ansible_playbook(playbook, *arguments, extra_env=None):
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    for name in ("CLOUDREACTOR_DEPLOY_API_KEY", "CLOUDREACTOR_API_BASE_URL", "ANSIBLE_VAULT_PASSWORD_FILE"):
        environment.pop(name, None)
    environment.update(extra_env or {})
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), *arguments],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def test_check_deploy_config_prints_and_reports_one_row_per_task(aws, cloudreactor, tmp_path):  # noqa: F811
    ec2 = aws.boto3_client("ec2")
    net = build_network(ec2)
    private, public = private_subnets(net), public_subnets(net)
    cloudreactor.add_run_environment(
        "staging", network={"subnets": private, "security_groups": [net.sg], "assign_public_ip": False}
    )
    directory = tmp_path / "deploy_config"
    (directory / "vars").mkdir(parents=True)
    (directory / "vars" / "common.yml").write_text(
        yaml.safe_dump(
            {
                "schema_version": 4,
                "project_task_name_to_config": {
                    "etl": {"command": "python etl.py"},
                    # Public subnets without a public IP: no way out.
                    "web": {"aws": {"network": {"subnets": public}}},
                    # Left to the Run Environment, read from CloudReactor.
                    "nightly": {"aws": {"network": {"assign_public_ip": None}}},
                },
            },
            sort_keys=False,
        )
    )
    (directory / "vars" / "staging.yml").write_text(
        yaml.safe_dump(
            {"env_aws": {"network": {"subnets": private, "security_groups": [net.sg], "assign_public_ip": False}}}
        )
    )
    report = tmp_path / "report.md"

    code, output = ansible_playbook(
        REPO / "playbooks" / "check_deploy_config.yml",
        "-e",
        f"check_deploy_config_dir={directory}",
        "-e",
        "check_deploy_config_env=staging",
        "-e",
        f"check_deploy_config_report_path={report}",
        "-e",
        f"check_deploy_config_api_base_url={cloudreactor.url}",
        extra_env={**aws.env(), "AWS_URL": aws.endpoint_url, "CLOUDREACTOR_DEPLOY_API_KEY": KEY},
    )

    assert code != 0, output[-3000:]  # web's network is broken: the play fails at the end
    assert "Tasks whose network has problems: ['web']" in output, output[-3000:]
    subnets, group = ", ".join(private), net.sg
    assert f"etl | {subnets} | {group} | false | ok" in output
    assert f"nightly | {subnets} | {group} | false | ok" in output  # assign_public_ip from the Run Environment
    assert f"web | {', '.join(public)} | {group} | false | FAIL PUBLIC_SUBNET_NO_PUBLIC_IP" in output
    assert cloudreactor.count("GET") == 2 and cloudreactor.count("PATCH") == 0
    text = report.read_text()
    assert "| Task | Subnets | Security groups | Public IP | Verdict |" in text
    assert f"| web | {', '.join(public)} | {group} | false | FAIL PUBLIC_SUBNET_NO_PUBLIC_IP |" in text
    assert "`PUBLIC_SUBNET_NO_PUBLIC_IP` | error |" in text
    assert "(read from CloudReactor)" in text
    assert (
        "| nightly | assign_public_ip | the Run Environment (null at vars/common.yml: "
        "project_task_name_to_config.nightly.aws.network.assign_public_ip) | when the task runs |"
    ) in text
    assert KEY not in output


def test_role_publish_writes_deploy_config_and_the_run_environment(cloudreactor, tmp_path):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging", network={"region": "us-west-2"})
    directory = tmp_path / "deploy_config"
    (directory / "vars").mkdir(parents=True)
    common = (
        "---\n# shared settings\nschema_version: 4\nproject_task_name_to_config:\n  etl:\n    command: python etl.py\n"
    )
    (directory / "vars" / "common.yml").write_text(common)
    network = {
        "name": "tasks-test",
        "task_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        "security_group_id": "sg-0123456789abcdef0",
        "assign_public_ip": False,
    }
    playbook = tmp_path / "publish.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "Publish",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": {
                        "fargate_network": network,
                        "fargate_network_deploy_config_dir": str(directory),
                        "fargate_network_deploy_config_env": "staging",
                        "fargate_network_run_environment": "staging",
                        "fargate_network_cloudreactor_api_key": KEY,
                        "fargate_network_cloudreactor_api_base_url": cloudreactor.url,
                    },
                    "tasks": [
                        {
                            "name": "Publish the network",
                            "ansible.builtin.include_role": {
                                "name": "cloudreactor.aws.fargate_network",
                                "tasks_from": "publish.yml",
                            },
                        }
                    ],
                }
            ],
            sort_keys=False,
        )
    )

    code, output = ansible_playbook(playbook, "--diff")

    assert code == 0, output[-3000:]
    assert "changed=2" in output
    written = yaml.safe_load((directory / "vars" / "staging.yml").read_text())
    assert written["env_aws"]["network"] == {
        "subnets": network["task_subnet_ids"],
        "security_groups": [network["security_group_id"]],
        "assign_public_ip": False,
    }
    stored = cloudreactor.stored(uuid)["infrastructure_settings"]["AWS"]["__default__"]["settings"]["network"]
    # The server adds what it derives (console URLs...) beside the values sent; the ones sent, and region, are kept.
    assert {key: stored[key] for key in ("region", *written["env_aws"]["network"])} == {
        "region": "us-west-2",
        **written["env_aws"]["network"],
    }
    assert (directory / "vars" / "common.yml").read_text() == common
    assert KEY not in output

    code, output = ansible_playbook(playbook)

    assert code == 0 and "changed=0" in output, output[-3000:]
    assert cloudreactor.count("PATCH") == 1


def documented_pre_build_hook():
    """The deploy_config/hooks/pre_build.yml snippet of docs/deploy-config.md, as documented."""
    text = (REPO / "docs" / "deploy-config.md").read_text()
    start = text.index("```yaml\n# deploy_config/hooks/pre_build.yml") + len("```yaml\n")
    return text[start : text.index("```", start)]


def deployer_playbook(tmp_path, directory, run_environment_aws):
    """The parts of the deployer's deploy.yml that a pre_build hook sees: its variables, the vars files loaded with
    include_vars (the environment file vault-encrypted), the hook included when it exists, then the image build."""
    path = tmp_path / "deploy.yml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "AWS ECS CloudReactor Deployer",
                    "hosts": "127.0.0.1",
                    "connection": "local",
                    "gather_facts": False,
                    "vars": {
                        "deploy_config_dir": str(directory),
                        "config_filename_stem": "{{ lookup('env', 'CONFIG_FILENAME_STEM') | default(env, true) }}",
                        "run_environment_aws": run_environment_aws,
                    },
                    "tasks": [
                        {
                            "name": "Set project-level variables",
                            "include_vars": "{{deploy_config_dir}}/vars/common.yml",
                        },
                        {
                            "name": "Set deployment environment-specific variables",
                            "include_vars": "{{deploy_config_dir}}/vars/{{config_filename_stem}}.yml",
                        },
                        {
                            "name": "Check if pre-build hook file exists",
                            "stat": {"path": "{{deploy_config_dir}}/hooks/pre_build.yml"},
                            "register": "pre_build_hook_file_stat",
                        },
                        {
                            "name": "Pre-build hook",
                            "include_tasks": "{{deploy_config_dir}}/hooks/pre_build.yml",
                            "when": "pre_build_hook_file_stat.stat.exists",
                        },
                        {"name": "Build Docker image", "debug": {"msg": "building the image"}},
                    ],
                }
            ],
            sort_keys=False,
        )
    )
    return path


def test_the_documented_pre_build_hook_stops_a_deployment_to_a_broken_network(aws, tmp_path):
    ec2 = aws.boto3_client("ec2")
    net = build_network(ec2)
    directory = tmp_path / "deploy_config"
    (directory / "vars").mkdir(parents=True)
    (directory / "hooks").mkdir()
    (directory / "hooks" / "pre_build.yml").write_text(documented_pre_build_hook())
    common = {
        "schema_version": 4,
        "project_task_name_to_config": {
            "etl": {"command": "python etl.py"},
            # Public subnets without a public IP: no way out.
            "web": {"aws": {"network": {"subnets": public_subnets(net)}}},
        },
    }
    (directory / "vars" / "common.yml").write_text(yaml.safe_dump(common))
    env_file = directory / "vars" / "staging.yml"
    env_file.write_text(yaml.safe_dump({"env_aws": {"network": {"subnets": private_subnets(net)}}}))
    password_file = tmp_path / "vault-password"
    password_file.write_text("deployer-vault-password")
    vault_id = f"staging@{password_file}"
    subprocess.run(
        [str(Path(sys.executable).parent / "ansible-vault"), "encrypt", str(env_file), "--vault-id", vault_id],
        capture_output=True,
        check=True,
    )
    # The security group and assign_public_ip come from the Run Environment the deployer has read.
    playbook = deployer_playbook(
        tmp_path, directory, {"network": {"security_groups": [net.sg], "assign_public_ip": False}}
    )
    arguments = (playbook, "-e", "env=staging", "--vault-id", vault_id)
    aws_environment = {**aws.env(), "AWS_URL": aws.endpoint_url}

    code, output = ansible_playbook(*arguments, extra_env=aws_environment)

    assert code != 0, output[-3000:]
    assert "PUBLIC_SUBNET_NO_PUBLIC_IP" in output, output[-4000:]
    assert "ok: [127.0.0.1] => (item=etl)" in output  # the healthy network passed
    assert "failed: [127.0.0.1] (item=web)" in output
    assert "Build Docker image" not in output

    # A task the deployer will not deploy does not stop the deployment.
    common["project_task_name_to_config"]["web"]["deployed"] = False
    (directory / "vars" / "common.yml").write_text(yaml.safe_dump(common))

    code, output = ansible_playbook(*arguments, extra_env=aws_environment)

    assert code == 0, output[-3000:]
    assert "(item=web)" not in output
    assert "TASK [Build Docker image]" in output
