# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudreactor.aws.deploy_config_network_info (documented in plugins/modules/).

deploy_config lives beside the playbook, on the controller, and its environment file is often ansible-vault
encrypted. As an action plugin it reads the files where they are and decrypts them with ansible-core's vault and
the play's vault secrets, exactly as ``include_vars`` would; no module process, no password option.
"""

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.parsing.vault import VaultLib, parse_vaulttext_envelope
from ansible.plugins.action import ActionBase

from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.deploy_config import (
    DeployConfig,
    VaultUnreadable,
    deploy_config_argument_spec,
    distinct_networks,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.deploy_config_check import (
    FAIL_ON,
    failing_tasks,
    render,
    row,
    task_audit,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError

VAULT_OPTIONS = "--vault-id, --vault-password-file, --ask-vault-pass or ANSIBLE_VAULT_PASSWORD_FILE"


class PlayVault:
    """Decrypts deploy_config files with the play's vault secrets, and encrypts them again with the secret that
    opened them and the vault id of their header (``ansible-vault`` would do the same on edit)."""

    def __init__(self, secrets):
        self._secrets = list(secrets or [])
        self._vault = VaultLib(self._secrets)

    def decrypt(self, text, source):
        if not self._secrets:
            raise VaultUnreadable(
                f"{source} is vault-encrypted and the play has no vault secret ({VAULT_OPTIONS})", path=source
            )
        vaulttext = to_bytes(text.strip())
        try:
            vault_id = parse_vaulttext_envelope(vaulttext)[3]
            plaintext, _secret_id, secret = self._vault.decrypt_and_get_vault_id(vaulttext)
        except AnsibleError:
            raise VaultUnreadable(
                f"{source} is vault-encrypted and none of the play's vault secrets decrypts it", path=source
            ) from None
        try:
            return to_text(plaintext, errors="strict"), (vault_id, secret)
        except UnicodeDecodeError:
            raise VaultUnreadable(f"{source}: the decrypted vault content is not UTF-8 text", path=source) from None

    def encrypt(self, plaintext, encryption):
        vault_id, secret = encryption
        return to_text(self._vault.encrypt(plaintext, secret, vault_id=vault_id))


def play_vault(loader):
    """The play's vault secrets (the CLI gives them to the DataLoader, which has no public accessor for them)."""
    return PlayVault(loader._vault.secrets)  # pylint: disable=protected-access


def environment_file_warnings(config):
    """Warnings about an environment file that could not be read, and keys the deployer would refuse."""
    warnings = []
    if config.env.status == "encrypted":
        warnings.append(f"{config.env.reason}: its settings are not part of this result")
    elif config.env.status == "missing":
        warnings.append(f"{config.env.relative} does not exist: only common.yml was read")
    legacy = config.legacy_keys()
    if legacy:
        warnings.append(f"schema 4 project with schema 3 keys, which the deployer rejects: {', '.join(legacy)}")
    return warnings


ARGUMENT_SPEC = dict(
    **deploy_config_argument_spec(),
    tasks=dict(type="list", elements="str"),
    run_environment_network=dict(type="dict"),
    include_undeployed=dict(type="bool", default=False),
    audit_results=dict(type="list", elements="dict"),
    fail_on=dict(type="str", choices=list(FAIL_ON), default="error"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            config = DeployConfig(
                params["deploy_config_dir"],
                params["deployment_environment"],
                stem=params["config_filename_stem"],
                vault=play_vault(self._loader),
            )
            warnings = environment_file_warnings(config)
            tasks = config.resolve_all(params["tasks"], params["run_environment_network"])
        except NetworkError as error:
            result.update(failed=True, msg=str(error), **error.details)
            return result
        if not tasks:
            warnings.append("deploy_config lists no task for this environment")
        for task in tasks:
            entry = config.null_task_entry(task["name"])
            if entry:
                warnings.append(
                    f"task {task['name']}: {entry} is null (every setting under it commented out?); the deployer "
                    "fails when it syncs such a task: give it a mapping ({} for none) or remove it"
                )
        result.update(
            changed=False,
            schema_version=config.schema_version,
            common_file=config.common.path,
            env_file=config.env.path,
            env_file_status=config.env.status,
            complete=config.env.status != "encrypted",
            run_environment=config.run_environment_name(),
            region=config.region(),
            legacy_keys=config.legacy_keys(),
            tasks=tasks,
            networks=distinct_networks(tasks, params["include_undeployed"]),
        )
        if params["audit_results"] is not None:
            audits = params["audit_results"]
            for task in tasks:
                task["audit"] = task_audit(task, audits)
            context = dict(
                deploy_config_dir=config.directory,
                environment=config.environment,
                schema_version=config.schema_version,
                env_file_status=config.env.status,
                run_environment=config.run_environment_name(),
                run_environment_read=params["run_environment_network"] is not None,
            )
            result.update(
                report=render(context, tasks, audits),
                table=[" | ".join(["task", "subnets", "security groups", "public IP", "verdict"])]
                + [" | ".join(row(task)) for task in tasks],
                failing_tasks=failing_tasks(tasks, params["fail_on"]),
            )
        if warnings:
            result["warnings"] = result.get("warnings", []) + warnings
        return result
