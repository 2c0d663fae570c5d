#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_config_network
short_description: Write a network (subnets, security groups, assign_public_ip) into a CloudReactor deploy_config
version_added: 1.0.0
description:
  - Puts the network ECS Fargate tasks should use into the C(deploy_config/vars) files of a project deployed with
    the CloudReactor deployer, for one deployment environment, where the deployer reads it for every task.
  - "Schema 4 (C(schema_version: 4) in C(common.yml)): C(env_aws.network) in C(vars/<env>.yml), or
    C(env_to_task_config.<env>.aws.network) in C(vars/common.yml). Schema 3 (legacy): C(project_aws.ecs.task.network)
    in C(vars/<env>.yml) (or C(default_env_task_config.ecs.task.network) when that file has no C(project_aws)), or
    C(env_to_default_task_config.<env>.ecs.task.network) in C(vars/common.yml). Never writes a schema 3 key into a
    schema 4 project."
  - Edits only the values it sets. Comments, key order, quoting, blank lines, anchors and tags written on the values
    (C(&sgs), C(!!seq)) and every other key stay exactly as they were, byte for byte; each edit is re-read and
    checked before it is written, and refused when it would change anything else (for example a value whose anchor
    an alias repeats elsewhere).
  - Writes atomically (a temporary file renamed over the original), keeping the file's permissions. Creates
    C(vars/<env>.yml) from a minimal skeleton when it does not exist.
  - Idempotent - lists already holding the same ids (in any order) are left alone.
  - An action plugin - it runs on the controller, where deploy_config is. A vault-encrypted environment file is
    decrypted with the play's vault secrets (C(--vault-id), C(--vault-password-file), C(--ask-vault-pass),
    C(ANSIBLE_VAULT_PASSWORD_FILE)) and encrypted again with the secret that opened it and the vault id of its
    header.
  - Warns about tasks that will not use a written value because a higher-precedence level sets it (see
    M(cloudreactor.aws.deploy_config_network_info)), and returns them in RV(overridden).
author:
  - CloudReactor (@CloudReactor)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Shows the file's change; for a vault-encrypted file only the network, never the rest.
seealso:
  - name: deploy_config
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/docs/deploy-config.md
    description: How the network of a deploy_config is resolved and written.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
  - name: The cloudreactor.aws.check_deploy_config playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/check_deploy_config.yml
    description: Resolves every task's network in a deploy_config and audits it.
  - module: cloudreactor.aws.deploy_config_network_info
    description: Reads back each task's network and where each value comes from.
  - module: cloudreactor.aws.network
    description: Builds the network whose subnets and security group this module writes.
  - module: cloudreactor.aws.run_environment
    description: Sets the network in a CloudReactor Run Environment instead.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.attributes.action_plugin
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
      - V(env_file) on a vault-encrypted file needs its vault secret in the play.
    type: str
    choices: [auto, env_file, common]
    default: auto
notes:
  - The option C(vault_password) of earlier versions is gone; give ansible-playbook the vault secret instead.
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

# ansible-playbook --vault-id prod@~/.vault-pass-prod setup.yml
- name: Keep the vault-encrypted production file encrypted, edited in place
  cloudreactor.aws.deploy_config_network:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: production
    target: env_file
    subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    security_groups: [sg-0123456789abcdef0]
    assign_public_ip: false
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
