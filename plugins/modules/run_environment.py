#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: run_environment
short_description: Set (or read) the default network of a CloudReactor Run Environment
version_added: 0.1.0
description:
  - Sets the subnets, security groups and C(assign_public_ip) that CloudReactor gives ECS Fargate tasks of a Run
    Environment by default (C(infrastructure_settings.AWS.__default__.settings.network)), through the CloudReactor
    API. Without O(subnets), O(security_groups) and O(assign_public_ip) it only reads the Run Environment.
  - Finds the Run Environment by its exact O(name) (or O(uuid)), reads it, merges the new values into its network
    and sends the whole AWS settings back, because CloudReactor replaces the stored settings on update. Every other
    setting (and the network's other keys, such as C(vpc_id)) is kept.
  - Refuses to change a Run Environment that uses AWS access keys - CloudReactor never returns the secret key,
    so sending the settings back would erase it.
  - Idempotent - lists holding the same ids in any order are not sent again. Supports check mode and diff mode
    (the network before and after).
  - Tasks already deployed keep the network they were deployed with; the module warns so when the network changes.
    Deploy them again (C(cr_deploy.sh <env>)) to move them.
author:
  - CloudReactor (@CloudReactor)
options:
  name:
    description:
      - The Run Environment's name (exact). Fails when no Run Environment or several have it.
      - Exactly one of O(name) and O(uuid) is required.
    type: str
  uuid:
    description:
      - The Run Environment's UUID, as in its dashboard URL.
    type: str
  subnets:
    description:
      - Default subnet ids for tasks (C(subnet-) and 8 or 17 lower-case hex digits). Left as they are when omitted.
      - ECS tasks cannot be started by CloudReactor until the Run Environment has at least one subnet.
    type: list
    elements: str
  security_groups:
    description:
      - Default security group ids (C(sg-) and 8 or 17 lower-case hex digits). Left as they are when omitted.
    type: list
    elements: str
  assign_public_ip:
    description:
      - Whether tasks get a public IP by default. V(false) in private subnets behind a NAT gateway, V(true) in
        public subnets. Left as it is when omitted.
    type: bool
  api_key:
    description:
      - A CloudReactor API key with the Developer access level or higher (the Deployment API key). Below Developer,
        CloudReactor hides the settings and the module fails.
      - Defaults to the environment variable E(CLOUDREACTOR_DEPLOY_API_KEY) of the process running the module (export
        it before C(ansible-playbook); values set with the task keyword C(environment) are shown at C(-vvv)).
      - Never logged or returned.
    type: str
  api_base_url:
    description:
      - Base URL of the CloudReactor API.
      - Defaults to the environment variable E(CLOUDREACTOR_API_BASE_URL), then C(https://api.cloudreactor.io).
    type: str
  validate_certs:
    description: Whether to verify the API's TLS certificate.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each API response.
    type: int
    default: 30
notes:
  - The dashboard's C(Assign Public IP) checkbox may store its value outside C(network); this module sets
    C(network.assign_public_ip), the value CloudReactor uses for ECS.
  - The legacy flat fields (C(aws_default_subnets) and the like) were removed from CloudReactor and are not used.
"""

EXAMPLES = r"""
# The API key from CLOUDREACTOR_DEPLOY_API_KEY, exported before running ansible-playbook. (Not through the task
# keyword "environment:", whose values ansible-playbook -vvv prints.)
- name: Point the staging Run Environment at the private subnets
  cloudreactor.aws.run_environment:
    name: staging
    subnets: "{{ fargate_network.task_subnet_ids }}"
    security_groups: ["{{ fargate_network.security_group_id }}"]
    assign_public_ip: false

- name: Read the network a Run Environment gives tasks
  cloudreactor.aws.run_environment:
    name: production
    api_key: "{{ vault_cloudreactor_deploy_api_key }}"
  register: production

- name: Show it
  ansible.builtin.debug:
    var: production.run_environment.network
"""

RETURN = r"""
run_environment:
  description: The Run Environment, after the change (or as it would be, in check mode).
  returned: success
  type: dict
  contains:
    uuid:
      description: Its UUID.
      type: str
      sample: 3f1e9c8a-5d2b-4c7e-9a10-2b3c4d5e6f70
    name:
      description: Its name.
      type: str
      sample: staging
    dashboard_url:
      description: Its page on the CloudReactor dashboard (V(null) with another O(api_base_url)).
      type: str
      sample: https://dash.cloudreactor.io/run_environments/3f1e9c8a-5d2b-4c7e-9a10-2b3c4d5e6f70
    network:
      description: The network mapping (C(subnets), C(security_groups), C(assign_public_ip) and any other key stored).
      type: dict
      sample: {subnets: [subnet-0123456789abcdef0], security_groups: [sg-0123456789abcdef0], assign_public_ip: false}
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.cloudreactor.aws.plugins.module_utils.cloudreactor_api import (
    NETWORK_FIELDS,
    CloudReactorClient,
    current_network,
    find_one,
    plan_update,
    summary,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils.describe import check_network_ids
from ansible_collections.cloudreactor.aws.plugins.module_utils.errors import InvalidInput, NetworkError, reported_errors


def validate(params):
    """Every option checked before the first request; the message names the option."""
    for option in ("name", "uuid"):
        if params[option] is not None and not params[option].strip():
            raise InvalidInput(option, "must not be empty")
    wanted = {field: params[field] for field in NETWORK_FIELDS if params[field] is not None}
    check_network_ids(wanted)
    if params["timeout"] <= 0:
        raise InvalidInput("timeout", "must be a positive number of seconds")
    return wanted


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            uuid=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str"),
            assign_public_ip=dict(type="bool"),
            api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDREACTOR_DEPLOY_API_KEY"])),
            api_base_url=dict(type="str", fallback=(env_fallback, ["CLOUDREACTOR_API_BASE_URL"])),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="int", default=30),
        ),
        required_one_of=[["name", "uuid"]],
        mutually_exclusive=[["name", "uuid"]],
        supports_check_mode=True,
    )
    params = module.params
    with reported_errors(module):
        wanted = validate(params)
        client = CloudReactorClient(
            params["api_base_url"],
            params["api_key"],
            timeout=params["timeout"],
            validate_certs=params["validate_certs"],
        )
        run_environment = find_one(client, name=params["name"], uuid=params["uuid"])
        if not wanted:
            network = current_network(run_environment)
            module.exit_json(changed=False, run_environment=summary(client, run_environment, network))
        before, after, body = plan_update(run_environment, wanted)
        result = dict(changed=body is not None)
        if body is not None:
            if not module.check_mode:
                updated = client.patch_run_environment(run_environment["uuid"], body) or {}
                stored = current_network(updated) if "infrastructure_settings" in updated else after
                if any(stored.get(field) != after.get(field) for field in wanted):
                    raise NetworkError(
                        f"CloudReactor stored a different network than sent: {stored}", changed=True, network=stored
                    )
                after = stored
            module.warn(
                f"Run Environment {run_environment.get('name')!r}: tasks already deployed keep the network they were "
                "deployed with until they are deployed again (cr_deploy.sh <environment>)."
            )
            if module._diff:
                result["diff"] = dict(before=before, after=after)
        if not after.get("subnets"):
            module.warn("the Run Environment has no subnets: CloudReactor cannot start its ECS tasks until it has one")
        result["run_environment"] = summary(client, run_environment, after)
        module.exit_json(**result)


if __name__ == "__main__":
    main()
