#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: run_environment
short_description: Set (or read) the default network of a CloudReactor Run Environment
version_added: 1.0.0
description:
  - Sets the subnets, security groups and C(assign_public_ip) that CloudReactor gives ECS Fargate tasks of a Run
    Environment by default (C(infrastructure_settings.AWS.__default__.settings.network)), through the CloudReactor
    API. Without O(subnets), O(security_groups) and O(assign_public_ip) it only reads the Run Environment.
  - Finds the Run Environment by its exact O(name) (or O(uuid)), reads it, merges the new values into its network
    and sends the whole AWS settings back, because CloudReactor replaces the stored AWS settings on every update
    (no merge). Every other AWS setting is sent back as read.
  - Then reads the Run Environment again, and warns (see RV(concurrent_changes)) when what is stored differs from
    what it wrote - someone else saved the Run Environment just after. CloudReactor keeps no version of a Run
    Environment, so an edit saved by someone else between this module's read and its write (a fraction of a second)
    is overwritten without trace. Do not edit a Run Environment in the dashboard while a play sets it.
  - "Run Environments that authenticate to AWS with an access key: CloudReactor never returns their secret key,
    so sending the settings back without it would erase it - the dashboard's form erases it the same way. The
    module refuses to change such a Run Environment unless O(aws_secret_key) gives the secret key, which it then
    sends in the same update. The other safe way is to move the Run Environment to an assumed IAM role
    (C(events_role_arn) and C(assumed_role_external_id)) first."
  - Idempotent - lists holding the same ids in any order are not sent again.
  - Tasks already deployed keep the network they were deployed with; the module warns so when the network changes.
    Deploy them again (C(cr_deploy.sh <env>)) to move them.
author:
  - CloudReactor (@CloudReactor)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Shows the network before and after.
seealso:
  - name: Run Environments
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/docs/run-environment.md
    description: What CloudReactor keeps of a Run Environment's network, and the access-key case.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
  - name: The cloudreactor.aws.check_deploy_config playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/check_deploy_config.yml
    description: Resolves every task's network in a deploy_config and audits it.
  - module: cloudreactor.aws.network
    description: Builds the network whose subnets and security group this module sets.
  - module: cloudreactor.aws.deploy_config_network
    description: Writes the network into a deploy_config instead.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
options:
  name:
    description:
      - The Run Environment's name (exact and case-sensitive). The API key sees only the Run Environments of its
        own group (where names are unique), or only the one it is scoped to.
      - Exactly one of O(name) and O(uuid) is required.
    type: str
  uuid:
    description:
      - The Run Environment's UUID, as in its dashboard URL.
    type: str
  subnets:
    description:
      - Default subnet ids for tasks (C(subnet-) and 8 or 17 lower-case hex digits). Left as they are when omitted.
      - CloudReactor does not check the ids (only its dashboard does); this module's check is the only one before
        ECS refuses to start a task.
      - ECS tasks cannot be started by CloudReactor until the Run Environment has at least one subnet.
    type: list
    elements: str
  security_groups:
    description:
      - Default security group ids (C(sg-) and 8 or 17 lower-case hex digits). Left as they are when omitted.
      - Like subnets, checked by this module only.
    type: list
    elements: str
  assign_public_ip:
    description:
      - Whether tasks get a public IP by default. V(false) in private subnets behind a NAT gateway, V(true) in
        public subnets. Left as it is when omitted.
    type: bool
  aws_secret_key:
    description:
      - The AWS secret access key of a Run Environment that authenticates to AWS with an access key (the pair of its
        C(access_key)). Sent as C(secret_key) in the same update as the network, so that the update keeps it.
      - It replaces the stored secret key. CloudReactor never shows the stored one, so the module cannot check
        that they match; give the current secret key of that access key.
      - Only with O(subnets), O(security_groups) or O(assign_public_ip), and only for a Run Environment that has an
        access key. Sent only when the network changes. Never logged or returned.
    type: str
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
  throttle_retries:
    description:
      - How many times to send a request again that CloudReactor throttled (HTTP 429), after the wait it asks for
        (its C(Retry-After), at most 60 seconds; 1, 2, 4... seconds without one). V(0) fails at the first 429.
    type: int
    default: 5
notes:
  - "What CloudReactor keeps of the network: C(region), C(availability_zone), C(subnets), C(security_groups),
    C(assign_public_ip) and C(networks). It drops every other key on save (C(vpc_id), for example), answers V(null)
    for each known key not set, and adds console links (C(subnet_infrastructure_website_urls),
    C(security_group_infrastructure_website_urls)) that it derives from the ids."
  - The dashboard's C(Assign Public IP) checkbox saves its value outside C(network), where CloudReactor drops it;
    this module sets C(network.assign_public_ip), the value CloudReactor uses for ECS.
  - Version 4 of the CloudReactor deployer (C(aws-ecs-cloudreactor-deployer)) copies this network into each task it
    deploys. Version 3 reads legacy flat fields (C(execution_method_capabilities[].default_subnets) and the like)
    that the current CloudReactor server no longer returns, so it does not see this network; set the network in
    C(deploy_config) (M(cloudreactor.aws.deploy_config_network)) for it instead.
  - The module never uses those legacy fields.
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

- name: A Run Environment that uses an AWS access key keeps its secret key only if the update sends it again
  cloudreactor.aws.run_environment:
    name: legacy
    subnets: "{{ fargate_network.task_subnet_ids }}"
    aws_secret_key: "{{ vault_legacy_run_environment_aws_secret_key }}"

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
  description: The Run Environment, as stored after the change (or as it would be, in check mode).
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
      description:
        - The network mapping as CloudReactor stores it - C(subnets), C(security_groups), C(assign_public_ip), the
          other keys it knows (V(null) when unset) and the console links it derives. In check mode, the links of
          a changed field are left out.
        - V({}) when the Run Environment has no AWS settings yet.
      type: dict
      sample:
        region: us-west-2
        availability_zone: null
        subnets: [subnet-0123456789abcdef0]
        subnet_infrastructure_website_urls:
          - https://us-west-2.console.aws.amazon.com/vpc/home?region=us-west-2#SubnetDetails:subnetId=subnet-0123456789abcdef0
        security_groups: [sg-0123456789abcdef0]
        security_group_infrastructure_website_urls:
          - https://us-west-2.console.aws.amazon.com/vpc/home?region=us-west-2#SecurityGroup:groupId=sg-0123456789abcdef0
        assign_public_ip: false
        networks: null
concurrent_changes:
  description:
    - The AWS settings (dotted keys below C(infrastructure_settings.AWS.__default__.settings)) that differ, when read
      again right after the update, from what the update stored - someone else saved the Run Environment just after
      it. The console links the server derives are left out. Each change is also a warning. Empty when nothing else
      changed.
  returned: when the module changed the Run Environment (not in check mode)
  type: list
  elements: dict
  contains:
    key:
      description: The dotted key.
      type: str
      sample: network.subnets
    written:
      description: The value this module's update stored.
      type: raw
      sample: [subnet-0123456789abcdef0]
    now:
      description: The value stored now.
      type: raw
      sample: [subnet-11111111]
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.api import (
    DEFAULT_THROTTLE_RETRIES,
    NETWORK_FIELDS,
    CloudReactorClient,
    Throttling,
    aws_settings,
    current_network,
    differences,
    find_one,
    plan_update,
    summary,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import (
    InvalidInput,
    NetworkError,
    reported_errors,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_network_ids


def validate(params):
    """Every option checked before the first request; the message names the option."""
    for option in ("name", "uuid"):
        if params[option] is not None and not params[option].strip():
            raise InvalidInput(option, "must not be empty")
    wanted = {field: params[field] for field in NETWORK_FIELDS if params[field] is not None}
    check_network_ids(wanted)
    if params["timeout"] <= 0:
        raise InvalidInput("timeout", "must be a positive number of seconds")
    if params["throttle_retries"] < 0:
        raise InvalidInput("throttle_retries", "must be 0 or more")
    if params["aws_secret_key"] is not None and not wanted:
        raise InvalidInput(
            "aws_secret_key",
            "is sent only with a change of the network: give subnets, security_groups or assign_public_ip",
        )
    if params["aws_secret_key"] is not None and not params["aws_secret_key"].strip():
        raise InvalidInput("aws_secret_key", "must not be empty")
    return wanted


def write(module, client, run_environment, body, after):
    """PATCH, then read again: ``(network stored now, concurrent changes)``; a warning per concurrent change."""
    uuid = run_environment["uuid"]
    written = aws_settings(client.patch_run_environment(uuid, body))
    stored = written.get("network") or {}
    if any(stored.get(field) != after.get(field) for field in NETWORK_FIELDS if field in after):
        raise NetworkError(f"CloudReactor stored a different network than sent: {stored}", changed=True, network=stored)
    now = aws_settings(client.get_run_environment(uuid))
    changes = differences(written, now)
    for change in changes:
        module.warn(
            f"Run Environment {run_environment.get('name')!r} changed right after this update: {change['key']} is "
            f"now {change['now']!r}, not {change['written']!r} as written (someone else saved it at the same time; "
            "run again to set the network)"
        )
    return now.get("network") or {}, changes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            uuid=dict(type="str"),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str"),
            assign_public_ip=dict(type="bool"),
            aws_secret_key=dict(type="str", no_log=True),
            api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["CLOUDREACTOR_DEPLOY_API_KEY"])),
            api_base_url=dict(type="str", fallback=(env_fallback, ["CLOUDREACTOR_API_BASE_URL"])),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="int", default=30),
            throttle_retries=dict(type="int", default=DEFAULT_THROTTLE_RETRIES),
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
            throttling=Throttling(params["throttle_retries"]),
        )
        run_environment = find_one(client, name=params["name"], uuid=params["uuid"])
        if not wanted:
            network = current_network(run_environment)
            module.exit_json(changed=False, run_environment=summary(client, run_environment, network))
        before, after, body = plan_update(run_environment, wanted, params["aws_secret_key"])
        result = dict(changed=body is not None)
        if body is not None:
            if not module.check_mode:
                after, result["concurrent_changes"] = write(module, client, run_environment, body, after)
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
