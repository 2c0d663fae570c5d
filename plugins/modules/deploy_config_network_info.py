#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_config_network_info
short_description: Resolve the network each task of a CloudReactor deploy_config gets, and where each value comes from
version_added: 0.1.0
description:
  - Reads the C(deploy_config/vars) files of a project deployed with the CloudReactor deployer
    (aws-ecs-cloudreactor-deployer) for one deployment environment, and computes for every task the effective
    C(subnets), C(security_groups) and C(assign_public_ip), exactly as the deployer merges them.
  - Detects the schema from C(schema_version) in C(common.yml) (4, or none for the legacy schema 3) and lists the
    tasks of C(project_task_name_to_config), C(env_to_task_name_to_config.<env>) and C(env_task_name_to_config)
    (schema 3 C(task_name_to_config), C(env_to_task_name_to_config.<env>) and C(task_name_to_env_config)).
  - "Precedence, lowest first (schema 4 keys; schema 3 keys replace C(aws.network) by C(ecs.task.network)):
    1 the Run Environment, 2 C(project_aws.network), 3 C(env_aws.network) (C(<env>.yml)),
    4 C(project_task_config.aws.network), 5 C(env_to_task_config.<env>.aws.network),
    6 C(env_task_config.aws.network) (C(<env>.yml)), 7 C(project_task_name_to_config.<task>.aws.network),
    8 C(env_to_task_name_to_config.<env>.<task>.aws.network),
    9 C(env_task_name_to_config.<task>.aws.network) (C(<env>.yml)). Schema 3 has no level 3; its level 2 is
    C(project_aws.ecs.task.network), usually in C(<env>.yml)."
  - Levels merge like Ansible's C(combine) filter with C(recursive=true) - mappings key by key, lists replaced
    whole. A value set to C(null) falls through to the Run Environment, like a value set nowhere.
  - For every value it reports the level, file and key it came from. Values left to the Run Environment are taken
    from O(run_environment_network) when given (for example the network returned by
    M(cloudreactor.aws.run_environment)), otherwise they are listed as unresolved.
  - Read-only. Run it where the files are, usually the controller (C(delegate_to) localhost); reading a vault-encrypted
    file needs the Python library C(cryptography) there (ansible-core requires it).
author:
  - CloudReactor (@CloudReactor)
extends_documentation_fragment:
  - cloudreactor.aws.deploy_config
options:
  vault_password:
    description:
      - Password of the ansible-vault encrypted environment file.
      - Without it (or with a wrong one) an encrypted file is reported as unreadable in RV(env_file_status) and a
        warning, the resolution ignores it, and RV(complete) is V(false).
    type: str
  tasks:
    description:
      - Resolve only these tasks. Default is every task.
    type: list
    elements: str
  run_environment_network:
    description:
      - The Run Environment's network (level 1), a dict with C(subnets), C(security_groups) and
        C(assign_public_ip); other keys are ignored.
    type: dict
notes:
  - Values written as Jinja2 templates (C("{{ ... }}")) cannot be resolved offline; they are returned as written
    and listed in the task's C(templated).
  - Check mode is supported; nothing is ever changed.
"""

EXAMPLES = r"""
- name: Where does every task of staging get its network from?
  cloudreactor.aws.deploy_config_network_info:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: staging
    vault_password: "{{ lookup('ansible.builtin.env', 'ANSIBLE_VAULT_PASSWORD') | default(omit, true) }}"
  delegate_to: localhost
  register: resolved

- name: Show each task's subnets and their origin
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.network.subnets }} from {{ item.sources.subnets.key }}"
  loop: "{{ resolved.tasks }}"

- name: Read the Run Environment, then resolve with it as level 1
  cloudreactor.aws.run_environment:
    name: "{{ resolved.run_environment }}"
  register: run_environment

- name: Resolve again, with values left to the Run Environment filled in
  cloudreactor.aws.deploy_config_network_info:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: staging
    run_environment_network: "{{ run_environment.run_environment.network }}"
  delegate_to: localhost
  register: resolved
"""

RETURN = r"""
schema_version:
  description: The deploy_config schema, 4 or 3 (legacy, no C(schema_version) key).
  returned: always
  type: int
  sample: 4
common_file:
  description: Path of C(common.yml).
  returned: always
  type: str
  sample: /src/project/deploy_config/vars/common.yml
env_file:
  description: Path of the environment file.
  returned: always
  type: str
  sample: /src/project/deploy_config/vars/staging.yml
env_file_status:
  description:
    - V(plain), V(decrypted) (vault-encrypted, read with O(vault_password)), V(encrypted) (vault-encrypted and
      unreadable) or V(missing).
  returned: always
  type: str
  sample: plain
complete:
  description: Whether every file was read (V(false) when the environment file is encrypted and unreadable).
  returned: always
  type: bool
  sample: true
run_environment:
  description:
    - Name of the CloudReactor Run Environment the deployer uses (C(env_cloudreactor.run_environment), then
      C(project_cloudreactor.run_environment); schema 3 C(cloudreactor) / C(default_cloudreactor)), defaulting to
      the environment name.
  returned: always
  type: str
  sample: staging
region:
  description: The AWS region set in deploy_config (C(env_aws.region), then C(project_aws.region)), if any.
  returned: always
  type: str
  sample: us-west-2
legacy_keys:
  description:
    - "Schema 3 keys found in a schema 4 project (the schema 4 deployer refuses them), as C(<file>: <key>)."
  returned: always
  type: list
  elements: str
  sample: ["vars/common.yml: task_name_to_config"]
tasks:
  description: One entry per task, in the order deploy_config lists them.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The task name.
      type: str
      sample: write_file
    network:
      description:
        - The effective C(subnets), C(security_groups) and C(assign_public_ip); V(null) for a value left to a Run
          Environment not given in O(run_environment_network).
      type: dict
      sample: {subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0], assign_public_ip: false}
    sources:
      description:
        - For each of the three values, where it came from - C(level) (1 to 9), C(file) (relative to
          O(deploy_config_dir); V(null) for the Run Environment), C(key) (dotted path, or V(run_environment)) and
          C(null_from) (the file and key that set it to null and so handed it to the Run Environment, if any).
      type: dict
      sample:
        subnets: {level: 9, file: vars/staging.yml, key: env_task_name_to_config.write_file.aws.network.subnets,
                  null_from: null}
        security_groups: {level: 3, file: vars/staging.yml, key: env_aws.network.security_groups, null_from: null}
        assign_public_ip: {level: 1, file: null, key: run_environment,
                           null_from: "vars/common.yml: project_task_config.aws.network.assign_public_ip"}
    unresolved:
      description: Values left to the Run Environment while O(run_environment_network) does not give them.
      type: list
      elements: str
      sample: [assign_public_ip]
    templated:
      description: Values written as Jinja2 templates, returned unrendered.
      type: list
      elements: str
      sample: []
networks:
  description: The distinct effective networks, each with the tasks that use it (audit each once).
  returned: always
  type: list
  elements: dict
  contains:
    subnets:
      description: Subnet ids (V(null) when unresolved).
      type: list
      elements: str
      sample: [subnet-0123456789abcdef0]
    security_groups:
      description: Security group ids (V(null) when unresolved).
      type: list
      elements: str
      sample: [sg-0123456789abcdef0]
    assign_public_ip:
      description: Whether tasks get a public IP (V(null) when unresolved; CloudReactor then uses V(false)).
      type: bool
      sample: false
    tasks:
      description: Names of the tasks with this network.
      type: list
      elements: str
      sample: [write_file, read_file]
    auditable:
      description: Whether subnets and security groups are known, so M(cloudreactor.aws.network_check) can audit it.
      type: bool
      sample: true
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudreactor.aws.plugins.module_utils.deploy_config import (
    DeployConfig,
    deploy_config_argument_spec,
    distinct_networks,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils.yaml_roundtrip import HAS_YAML


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **deploy_config_argument_spec(),
            vault_password=dict(type="str", no_log=True),
            tasks=dict(type="list", elements="str"),
            run_environment_network=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    params = module.params
    with reported_errors(module):
        config = DeployConfig(
            params["deploy_config_dir"],
            params["deployment_environment"],
            stem=params["config_filename_stem"],
            vault_password=params["vault_password"],
        )
        if config.env.status == "encrypted":
            module.warn(f"{config.env.reason}: its settings are not part of this result")
        elif config.env.status == "missing":
            module.warn(f"{config.env.relative} does not exist: only common.yml was read")
        legacy = config.legacy_keys()
        if legacy:
            module.warn(f"schema 4 project with schema 3 keys, which the deployer rejects: {', '.join(legacy)}")
        tasks = config.resolve_all(params["tasks"], params["run_environment_network"])
        if not tasks:
            module.warn("deploy_config lists no task for this environment")
        module.exit_json(
            changed=False,
            schema_version=config.schema_version,
            common_file=config.common.path,
            env_file=config.env.path,
            env_file_status=config.env.status,
            complete=config.env.status != "encrypted",
            run_environment=config.run_environment_name(),
            region=config.region(),
            legacy_keys=legacy,
            tasks=tasks,
            networks=distinct_networks(tasks),
        )


if __name__ == "__main__":
    main()
