#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_config_network_info
short_description: Resolve the network each task of a CloudReactor deploy_config gets, and where each value comes from
version_added: 1.0.0
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
  - "Levels merge like Ansible's C(combine) filter with C(recursive=true) - mappings key by key, lists replaced
    whole. A null the deployer hands to C(combine) as an argument of its own is dropped, so the levels below still
    apply - a null layer, or a null C(aws) (schema 3 C(ecs)) right under one. A null inside the merged data
    (C(network: null), C(subnets: null)) is sent to CloudReactor as null, and the task falls back to the Run
    Environment when it runs."
  - Schema 3's Task template falls back to C(project_aws.subnets) and C(project_aws.security_groups) (top level of
    C(project_aws)) for values no level sets; they are reported as level 2 with that key.
  - For every value it reports the level, file and key it came from, and C(fixed_at) - V(deploy) when the value
    is fixed when the deployer runs (set in deploy_config, or, in schema 4, the Run Environment's value, which the
    deployer copies into the task), V(run) when it falls back to the Run Environment each time the task runs (an
    explicit null; in schema 3 also a value set nowhere). Values left to the Run Environment are taken from
    O(run_environment_network) when given (for example the network returned by
    M(cloudreactor.aws.run_environment)), otherwise they are listed as unresolved.
  - "Tasks whose merged settings say C(deployed: false) are skipped by the deployer - they are marked in RV(tasks)
    and left out of RV(networks) (see O(include_undeployed)). A task whose entry is null (every setting under it
    commented out) makes the deployer fail when it syncs the task; a warning says so."
  - An action plugin - it runs on the controller, where deploy_config is. A vault-encrypted environment file is
    decrypted with the play's vault secrets, as C(include_vars) would (C(--vault-id), C(--vault-password-file),
    C(--ask-vault-pass), C(ANSIBLE_VAULT_PASSWORD_FILE)). Read-only.
  - Given O(audit_results) (a M(cloudreactor.aws.network_check) loop over RV(networks)), it also gives each task
    its verdict and returns the Markdown report of C(playbooks/check_deploy_config.yml).
author:
  - CloudReactor (@CloudReactor)
seealso:
  - name: deploy_config
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/docs/deploy-config.md
    description: How the network of a deploy_config is resolved and written.
  - name: The cloudreactor.aws.check_deploy_config playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/check_deploy_config.yml
    description: Resolves every task's network in a deploy_config and audits it.
  - module: cloudreactor.aws.network_check
    description: Audits the networks this module returns.
  - module: cloudreactor.aws.deploy_config_network
    description: Writes a network into the deploy_config.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.attributes.action_plugin
  - cloudreactor.aws.attributes.info_module
  - cloudreactor.aws.deploy_config
options:
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
  include_undeployed:
    description:
      - "Count tasks with C(deployed: false) in RV(networks) too (they are always in RV(tasks))."
    type: bool
    default: false
  audit_results:
    description:
      - The registered C(results) of a M(cloudreactor.aws.network_check) loop over RV(networks) of an earlier call
        (each result's C(item) is the network it audited). Given, every task gets its RV(tasks[].audit), and
        RV(report), RV(table) and RV(failing_tasks) are returned.
    type: list
    elements: dict
  fail_on:
    description:
      - Which audits put a task in RV(failing_tasks) - V(error), V(warning) (errors or warnings), or V(never).
    type: str
    choices: [error, warning, never]
    default: error
notes:
  - Values written as Jinja2 templates (C("{{ ... }}")) cannot be resolved offline; they are returned as written
    and listed in the task's C(templated).
  - Without a vault secret that opens it, an encrypted environment file is reported as V(encrypted) in
    RV(env_file_status) and a warning, the resolution ignores it, and RV(complete) is V(false).
  - The option C(vault_password) of earlier versions is gone; give ansible-playbook the vault secret instead.
"""

EXAMPLES = r"""
- name: Where does every task of staging get its network from?
  cloudreactor.aws.deploy_config_network_info:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: staging
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
  register: resolved

- name: Audit each network once
  cloudreactor.aws.network_check:
    subnet_ids: "{{ item.subnets }}"
    security_group_ids: "{{ item.security_groups }}"
    assign_public_ip: "{{ item.assign_public_ip | default(false, true) }}"
    fail_on: never
  loop: "{{ resolved.networks | selectattr('auditable') | list }}"
  register: audits

- name: Every task's verdict, and the Markdown report
  cloudreactor.aws.deploy_config_network_info:
    deploy_config_dir: "{{ playbook_dir }}/deploy_config"
    deployment_environment: staging
    run_environment_network: "{{ run_environment.run_environment.network }}"
    audit_results: "{{ audits.results }}"
  register: checked
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
    - V(plain), V(decrypted) (vault-encrypted, read with the play's vault secrets), V(encrypted) (vault-encrypted
      and none of them opens it) or V(missing).
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
    deployed:
      description:
        - Whether the deployer deploys the task - V(false) when its merged settings set C(deployed) to something
          other than true or C("true") (levels 4 to 9, like any task setting).
      type: bool
      sample: true
    network:
      description:
        - The effective C(subnets), C(security_groups) and C(assign_public_ip); V(null) for a value left to a Run
          Environment not given in O(run_environment_network).
      type: dict
      sample: {subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0], assign_public_ip: false}
    sources:
      description:
        - For each of the three values, where it came from - C(level) (1 to 9), C(file) (relative to
          O(deploy_config_dir); V(null) for the Run Environment), C(key) (dotted path, or V(run_environment)),
          C(null_from) (the file and key that set it to null and so handed it to the Run Environment, if any) and
          C(fixed_at) (V(deploy) - fixed when the deployer runs; V(run) - the Run Environment's value when the task
          runs).
      type: dict
      sample:
        subnets: {level: 9, file: vars/staging.yml, key: env_task_name_to_config.write_file.aws.network.subnets,
                  null_from: null, fixed_at: deploy}
        security_groups: {level: 1, file: null, key: run_environment, null_from: null, fixed_at: deploy}
        assign_public_ip: {level: 1, file: null, key: run_environment,
                           null_from: "vars/common.yml: project_task_config.aws.network.assign_public_ip",
                           fixed_at: run}
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
    audit:
      description:
        - The task's verdict from O(audit_results) - C(verdict) (V(ok), C(warn <codes>), C(FAIL <codes>), or why
          the network was not audited), C(passed) (V(null) when not audited), C(errors) and C(warnings).
      returned: when O(audit_results) is given
      type: dict
      sample: {verdict: FAIL PUBLIC_SUBNET_NO_PUBLIC_IP, passed: false, errors: 1, warnings: 0}
networks:
  description:
    - The distinct effective networks of the deployed tasks, each with the tasks that use it (audit each once).
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
report:
  description:
    - The Markdown report - one row per task (subnets, security groups, public IP, verdict), where each value comes
      from (file and key, and when it is decided), and each audited network's findings. Table cells are escaped.
  returned: when O(audit_results) is given
  type: str
  sample: "# Network check of deploy_config: staging ..."
table:
  description: The same rows as plain text lines (C(task | subnets | security groups | public IP | verdict)).
  returned: when O(audit_results) is given
  type: list
  elements: str
  sample:
    - "task | subnets | security groups | public IP | verdict"
    - "etl | subnet-0123456789abcdef0 | sg-0123456789abcdef0 | false | ok"
failing_tasks:
  description: The tasks whose audit crosses O(fail_on).
  returned: when O(audit_results) is given
  type: list
  elements: str
  sample: [web]
"""
