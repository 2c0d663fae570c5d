"""Vault-encrypted environment files through ansible-playbook's own vault options: the deploy_config plugins read
and write them with the play's vault secrets, and the file keeps its vault id."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from test_deploy_config_info import (  # noqa: F401 - vault_production is a fixture
    FIXTURES,
    VAULT_PASSWORD,
    project,
    run_info,
    vault,
    vault_production,
    vault_secrets,
)
from test_deploy_config_write import SUBNETS, text, write

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def playbook(tmp_path, directory, environment):
    """Resolve, write the network into the environment file, resolve again; each result saved as JSON."""
    results = tmp_path / "results"
    results.mkdir()
    arguments = {"deploy_config_dir": str(directory), "deployment_environment": environment}
    tasks = []
    for step, action, extra in (
        ("before", "cloudreactor.aws.deploy_config_network_info", {}),
        ("write", "cloudreactor.aws.deploy_config_network", {"target": "env_file", "subnets": SUBNETS}),
        ("after", "cloudreactor.aws.deploy_config_network_info", {}),
    ):
        tasks.append({"name": step, action: {**arguments, **extra}, "register": step})
        tasks.append(
            {
                "name": f"save {step}",
                "ansible.builtin.copy": {"content": f"{{{{ {step} | to_json }}}}", "dest": str(results / step)},
            }
        )
    path = tmp_path / "vault.yml"
    path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}], sort_keys=False))
    return path, results


def ansible_playbook(path, *arguments, extra_env=None):
    environment = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    environment.pop("ANSIBLE_VAULT_PASSWORD_FILE", None)
    environment.update(extra_env or {})
    completed = subprocess.run(
        [str(BIN / "ansible-playbook"), str(path), *arguments],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return completed.returncode, completed.stdout + completed.stderr


def saved(results, step):
    return json.loads((results / step).read_text())


def test_vault_id_with_a_label_and_a_password_file_reads_and_writes(tmp_path, vault_production):  # noqa: F811
    directory = project(tmp_path, production=vault_production)
    plaintext = (FIXTURES / "schema4" / "vault_plaintext" / "production.yml").read_text()
    password_file = tmp_path / "prod-password"
    password_file.write_text(VAULT_PASSWORD + "\n")
    path, results = playbook(tmp_path, directory, "production")

    code, output = ansible_playbook(path, "--vault-id", f"prod@{password_file}", "-v")

    assert code == 0, output[-3000:]
    before, written, after = saved(results, "before"), saved(results, "write"), saved(results, "after")
    assert before["env_file_status"] == "decrypted" and before["complete"] is True
    assert written["changed"] is True and written["key"] == "env_aws.network"
    stored = text(directory, "production.yml")
    assert stored.startswith("$ANSIBLE_VAULT;1.2;AES256;prod\n")  # its vault id, as before
    old_subnets = "".join(f"      - {subnet}\n" for subnet in ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"])
    new_subnets = "".join(f"      - {subnet}\n" for subnet in SUBNETS)
    assert vault("view", directory / "vars" / "production.yml") == plaintext.replace(old_subnets, new_subnets)
    assert after["tasks"][0]["network"]["subnets"] == SUBNETS
    assert VAULT_PASSWORD not in output
    assert "NOT-A-REAL-KEY" not in output


def test_the_vault_password_file_setting_reads_a_file_with_a_vault_id(tmp_path, vault_production):  # noqa: F811
    directory = project(tmp_path, production=vault_production)
    password_file = tmp_path / "password"
    password_file.write_text(VAULT_PASSWORD)
    path, results = playbook(tmp_path, directory, "production")

    code, output = ansible_playbook(path, extra_env={"ANSIBLE_VAULT_PASSWORD_FILE": str(password_file)})

    assert code == 0, output[-3000:]
    assert saved(results, "before")["env_file_status"] == "decrypted"
    assert text(directory, "production.yml").startswith("$ANSIBLE_VAULT;1.2;AES256;prod\n")


def test_a_file_without_a_vault_id_is_written_back_without_one(tmp_path):
    directory = project(tmp_path)
    env_file = directory / "vars" / "staging.yml"
    password_file = tmp_path / "password"
    password_file.write_text(VAULT_PASSWORD)
    encrypt = [str(BIN / "ansible-vault"), "encrypt", str(env_file), "--vault-password-file", str(password_file)]
    subprocess.run(encrypt, capture_output=True, check=True)
    assert text(directory, "staging.yml").startswith("$ANSIBLE_VAULT;1.1;AES256\n")

    result = write(directory, target="env_file", secrets=vault_secrets(vault_id="default"))

    assert result["changed"] is True
    assert text(directory, "staging.yml").startswith("$ANSIBLE_VAULT;1.1;AES256\n")
    resolved = run_info(directory, secrets=vault_secrets(vault_id="default"))
    assert resolved["env_file_status"] == "decrypted"
    assert resolved["tasks"][0]["network"]["subnets"] == SUBNETS


def test_no_module_utils_file_implements_vault_cryptography():
    """ansible-core's VaultLib does the vault's cryptography; module_utils only splices plaintext."""
    crypto = ("cryptography", "pbkdf2", "import hmac", "AES", "Cipher(")
    offenders = [
        f"{path.relative_to(REPO)}: {word}"
        for path in sorted((REPO / "plugins" / "module_utils").rglob("*.py"))
        for word in crypto
        if word in path.read_text()
    ]
    assert offenders == []
