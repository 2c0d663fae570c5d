#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_config_network
short_description: Write a network (subnets, security groups, assign_public_ip) into a CloudReactor deploy_config
version_added: 0.1.0
description:
  - Puts the network ECS Fargate tasks should use into the C(deploy_config/vars) files of a project deployed with
    the CloudReactor deployer, for one deployment environment, where the deployer reads it for every task.
  - "Schema 4 (C(schema_version: 4) in C(common.yml)): C(env_aws.network) in C(vars/<env>.yml), or
    C(env_to_task_config.<env>.aws.network) in C(vars/common.yml). Schema 3 (legacy): C(project_aws.ecs.task.network)
    in C(vars/<env>.yml) (or C(default_env_task_config.ecs.task.network) when that file has no C(project_aws)), or
    C(env_to_default_task_config.<env>.ecs.task.network) in C(vars/common.yml). Never writes a schema 3 key into a
    schema 4 project."
  - Edits only the values it sets. Comments, key order, quoting, blank lines and every other key stay exactly as they
    were, byte for byte; each edit is re-read and checked before it is written, and refused when it would change
    anything else (for example a value shared through a YAML anchor).
  - Writes atomically (a temporary file renamed over the original), keeping the file's permissions. Creates
    C(vars/<env>.yml) from a minimal skeleton when it does not exist.
  - Idempotent - lists already holding the same ids (in any order) are left alone. Supports check mode, and diff
    mode shows the file's change (for a vault-encrypted file only the network is shown, never the rest).
  - Warns about tasks that will not use a written value because a higher-precedence level sets it (see
    M(cloudreactor.aws.deploy_config_network_info)), and returns them in RV(overridden).
author:
  - CloudReactor (@CloudReactor)
extends_documentation_fragment:
  - cloudreactor.aws.deploy_config
options:
  subnets:
    description:
      - Subnet ids the tasks run in (C(subnet-) and 8 or 17 hex digits). Left as they are when omitted.
    type: list
    elements: str
  security_groups:
    description:
      - Security group ids of the tasks (C(sg-) and 8 or 17 hex digits). Left as they are when omitted.
    type: list
    elements: str
  assign_public_ip:
    description:
      - Whether tasks get a public IP. V(false) in private subnets behind a NAT gateway, V(true) in public subnets.
        Left as it is when omitted.
    type: bool
  target:
    description:
      - V(env_file) writes the environment file (C(env_aws.network) in schema 4).
      - V(common) writes the environment's entry of C(common.yml) (C(env_to_task_config.<env>.aws.network)), which
        also takes precedence over C(env_aws.network) and C(project_task_config).
      - V(auto) writes the environment file unless it is vault-encrypted, then C(common.yml).
    type: str
    choices: [auto, env_file, common]
    default: auto
  vault_password:
    description:
      - Password of the vault-encrypted environment file; needed only with O(target=env_file) on an encrypted
        file, which is then decrypted, edited and encrypted again with the same vault id.
      - Also used to read that file when checking which tasks override the written values.
    type: str
notes:
  - Run it where the files are, usually the controller (C(delegate_to) localhost). Vault-encrypted files need the
    Python library C(cryptography) there (ansible-core requires it).
  - Tasks already deployed keep their network until they are deployed again.
"""

EXAMPLES = r"""
- name: Private subnets and the task security group for staging
  cloudreactor.aws.deploy_config_network:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: staging
    subnets: "{{ fargate_network.task_subnet_ids }}"
    security_groups: ["{{ fargate_network.security_group_id }}"]
    assign_public_ip: "{{ fargate_network.assign_public_ip }}"
  delegate_to: localhost

- name: Keep the vault-encrypted production file encrypted, edited in place
  cloudreactor.aws.deploy_config_network:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: production
    target: env_file
    vault_password: "{{ lookup('ansible.builtin.env', 'ANSIBLE_VAULT_PASSWORD') }}"
    subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    security_groups: [sg-0123456789abcdef0]
    assign_public_ip: false
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The file written (or that would be, in check mode).
  returned: always
  type: str
  sample: /src/project/deploy_config/vars/staging.yml
key:
  description: The dotted key path of the network in that file.
  returned: always
  type: str
  sample: env_aws.network
location:
  description: V(env_file) or V(common).
  returned: always
  type: str
  sample: env_file
level:
  description: The precedence level of that key (1 is the Run Environment, 9 the most specific).
  returned: always
  type: int
  sample: 3
schema_version:
  description: The deploy_config schema, 4 or 3.
  returned: always
  type: int
  sample: 4
created:
  description: Whether the environment file was (or would be) created.
  returned: always
  type: bool
  sample: false
network:
  description: The network mapping at RV(key) after the change.
  returned: always
  type: dict
  sample: {subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0], assign_public_ip: false}
overridden:
  description: Tasks that do not get a value written here, because a higher level sets it.
  returned: always
  type: list
  elements: dict
  contains:
    task:
      description: The task.
      type: str
      sample: read_file
    field:
      description: C(subnets), C(security_groups) or C(assign_public_ip).
      type: str
      sample: subnets
    level:
      description: The level that wins.
      type: int
      sample: 9
    file:
      description: The file of that level.
      type: str
      sample: vars/staging.yml
    key:
      description: The key of that level.
      type: str
      sample: env_task_name_to_config.read_file.aws.network.subnets
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudreactor.aws.plugins.module_utils.deploy_config import (
    FIELDS,
    DeployConfig,
    deploy_config_argument_spec,
    dotted,
    same_network_value,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils.describe import check_network_ids
from ansible_collections.cloudreactor.aws.plugins.module_utils.errors import InvalidInput, NetworkError, reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils.yaml_roundtrip import (
    HAS_YAML,
    Document,
    atomic_write,
    render_block,
    vault_encrypt,
)

SKELETON = """---
# Settings of the "{env}" deployment environment for the CloudReactor deployer (aws-ecs-cloudreactor-deployer).
# Created by cloudreactor.aws.deploy_config_network with the tasks' network; add the other settings (see
# example.yml). When this file holds secrets (API keys), encrypt it with ansible-vault.
"""


def validate(params):
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
        for layer_level, source, path, network in config.layers(task):
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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **deploy_config_argument_spec(),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str"),
            assign_public_ip=dict(type="bool"),
            target=dict(type="str", choices=["auto", "env_file", "common"], default="auto"),
            vault_password=dict(type="str", no_log=True),
        ),
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    params = module.params
    with reported_errors(module):
        wanted = validate(params)
        environment = params["deployment_environment"]
        config = DeployConfig(
            params["deploy_config_dir"],
            environment,
            stem=params["config_filename_stem"],
            vault_password=params["vault_password"],
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
        if changed:
            if source.encrypted:
                result["diff"] = dict(
                    before=render_block({dotted(path): current}, document.style),
                    after=render_block({dotted(path): after}, document.style),
                    before_header=f"{source.path} (vault-encrypted: the network only)",
                    after_header=f"{source.path} (vault-encrypted: the network only)",
                )
            else:
                before_text = "" if created else document.text
                result["diff"] = dict(
                    before=before_text, after=new_text, before_header=source.path, after_header=source.path
                )
            if not module.check_mode:
                payload = new_text
                if not created and source.encrypted:
                    payload = vault_encrypt(new_text, params["vault_password"], source.vault_id)
                try:
                    atomic_write(source.path, payload)
                except OSError as error:
                    raise NetworkError(
                        f"cannot write {source.path}: {error.strerror or error}; the file was left unchanged",
                        path=source.path,
                    ) from None
        # Which tasks will not see the values: resolve again, on the text as written.
        document_after = Document(new_text, source.relative) if changes else document
        source.document = document_after
        result["overridden"] = overridden_values(config, list(wanted), level)
        if result["overridden"]:
            names = sorted({entry["task"] for entry in result["overridden"]})
            module.warn(
                f"{len(names)} task(s) do not get every value written to {source.relative}: {dotted(path)}, because "
                f"a more specific level sets it: {', '.join(names)} (see 'overridden')"
            )
        if config.env.status == "encrypted":
            module.warn(f"{config.env.reason}; tasks overriding the network there are not reported")
        if not module._diff:
            result.pop("diff", None)
        module.exit_json(**result)


if __name__ == "__main__":
    main()
