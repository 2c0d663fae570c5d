# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudreactor.aws.deploy_config_network (documented in plugins/modules/).

Runs on the controller, where deploy_config is: a vault-encrypted environment file is decrypted with the play's
vault secrets, edited byte for byte, and encrypted again with the secret that opened it and its vault id.
"""

from ansible.plugins.action import ActionBase

from ansible_collections.cloudreactor.aws.plugins.action.deploy_config_network_info import play_vault
from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.deploy_config import (
    FIELDS,
    DeployConfig,
    deploy_config_argument_spec,
    dotted,
    same_network_value,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.yaml_roundtrip import (
    Document,
    atomic_write,
    render_block,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_network_ids

SKELETON = """---
# Settings of the "{env}" deployment environment for the CloudReactor deployer (aws-ecs-cloudreactor-deployer).
# Created by cloudreactor.aws.deploy_config_network with the tasks' network; add the other settings (see
# example.yml). When this file holds secrets (API keys), encrypt it with ansible-vault.
"""

ARGUMENT_SPEC = dict(
    **deploy_config_argument_spec(),
    subnets=dict(type="list", elements="str"),
    security_groups=dict(type="list", elements="str"),
    assign_public_ip=dict(type="bool"),
    target=dict(type="str", choices=["auto", "env_file", "common"], default="auto"),
)


def wanted_values(params):
    """Every option checked before any file is touched; the message names the option."""
    wanted = {field: params[field] for field in FIELDS if params[field] is not None}
    if not wanted:
        raise InvalidInput("subnets", "give at least one of subnets, security_groups, assign_public_ip")
    check_network_ids(params)
    return wanted


def overridden_values(config, written_fields, level):
    """Tasks for which a level above the one written sets (or nulls) a written field."""
    found = []
    for task in config.task_names():
        top = {}
        for layer_level, source, path, network, _task_config in config.layers(task):
            if not isinstance(network, dict) and network is not None:
                continue
            for field in written_fields:
                if network is None:
                    top[field] = (layer_level, source.relative, dotted(path))
                elif field in network:
                    top[field] = (layer_level, source.relative, dotted((*path, field)))
        for field in written_fields:
            if field in top and top[field][0] > level:
                winner_level, file, key = top[field]
                found.append(dict(task=task, field=field, level=winner_level, file=file, key=key))
    return found


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            result.update(self._write(params))
        except NetworkError as error:
            result.update(failed=True, msg=str(error), **error.details)
        return result

    def _write(self, params):
        wanted = wanted_values(params)
        environment = params["deployment_environment"]
        vault = play_vault(self._loader)
        config = DeployConfig(
            params["deploy_config_dir"], environment, stem=params["config_filename_stem"], vault=vault
        )
        source, path, level = config.write_target(params["target"])
        created = source.status == "missing"
        document = source.document or Document(SKELETON.format(env=environment), source.relative)
        found, current = document.get(path)
        current = current if found and isinstance(current, dict) else {}
        changes = {field: value for field, value in wanted.items() if not same_network_value(current.get(field), value)}
        changed = bool(changes) or created
        new_text = document.set_values(path, changes)
        after = dict(current, **changes)
        result = dict(
            changed=changed,
            path=source.path,
            key=dotted(path),
            location="env_file" if source is config.env else "common",
            level=level,
            schema_version=config.schema_version,
            created=created,
            network=after,
        )
        if changed and self._task.diff:
            if source.encrypted:
                # The rest of an encrypted file is secret: the diff shows the network only.
                header = f"{source.path} (vault-encrypted: the network only)"
                result["diff"] = dict(
                    before=render_block({dotted(path): current}, document.style),
                    after=render_block({dotted(path): after}, document.style),
                    before_header=header,
                    after_header=header,
                )
            else:
                before_text = "" if created else document.text
                result["diff"] = dict(
                    before=before_text, after=new_text, before_header=source.path, after_header=source.path
                )
        if changed and not self._task.check_mode:
            payload = vault.encrypt(new_text, source.encryption) if source.encrypted else new_text
            try:
                atomic_write(source.path, payload)
            except OSError as error:
                raise NetworkError(
                    f"cannot write {source.path}: {error.strerror or error}; the file was left unchanged",
                    path=source.path,
                ) from None
        # Which tasks will not see the values: resolve again, on the text as written.
        if changes:
            source.document = Document(new_text, source.relative)
        result["overridden"] = overridden_values(config, list(wanted), level)
        warnings = []
        if config.env.status == "encrypted":
            warnings.append(f"{config.env.reason}; tasks overriding the network there are not reported")
        if result["overridden"]:
            names = sorted({entry["task"] for entry in result["overridden"]})
            warnings.append(
                f"{len(names)} task(s) do not get every value written to {source.relative}: {dotted(path)}, because "
                f"a more specific level sets it: {', '.join(names)} (see 'overridden')"
            )
        if warnings:
            result["warnings"] = warnings
        return result
