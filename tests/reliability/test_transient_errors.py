"""A quarter of all EC2 requests refused with throttling or 503 changes nothing about the result.

The role converges one network straight against the emulator and a second one through a proxy that refuses 25 %
of the EC2 requests (``RequestLimitExceeded``, ``ServiceUnavailable``, bare 503; seeded, so the same pattern each
run). Both plays must end alike (same PLAY RECAP), the AWS side must have seen exactly the same mutating calls
(a refused call is retried, never carried out twice), the two networks must have the same shape (ids aside), and
network_check through the proxy must report what it reports without it.
"""

import re
import time
from collections import Counter

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from support.aws_proxy import THROTTLE_KINDS, AwsProxy, LoseAnswer, Throttle
from support.module_runner import run_module
from support.network_shape import network_shape, one_network_counts, region_counts, wait_until_listed
from support.playbook_runner import run_playbook

from aws_emulator import ACCESS_KEY, REGION, SECRET_KEY

SHARE = 0.25
SEED = 20251126
ZONES = 2
RECAP = re.compile(r"localhost\s*:\s*(ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=\d+\s+skipped=\d+)")
SUBNETS_LINE = re.compile(r"Subnets: (subnet-[0-9a-f]+(?:, subnet-[0-9a-f]+)*)")
SECURITY_GROUP_LINE = re.compile(r"Security group: (sg-[0-9a-f]+)")


def role_vars(network):
    # The role's own audit stays on: converge and check both run through the proxy.
    return {
        "fargate_network_name": network,
        "fargate_network_az_count": ZONES,
        "fargate_network_nat_gateways": "per_az",
    }


def recap(run):
    match = RECAP.search(run.stdout)
    assert match and run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return match.group(1)


def vpc_of(ec2, network):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:cloudreactor:network", "Values": [network]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    return vpcs[0]["VpcId"]


def audit(aws, endpoint_url, run, network):
    result = run_module(
        "network_check",
        {
            **aws.module_params(),
            "endpoint_url": endpoint_url,
            "subnet_ids": SUBNETS_LINE.search(run.stdout).group(1).split(", "),
            "security_group_ids": [SECURITY_GROUP_LINE.search(run.stdout).group(1)],
            "assign_public_ip": False,
            "network_name": network,
            "fail_on": "never",
        },
    )
    assert not result.get("failed"), result
    return result


def test_proxy_refuses_an_exact_share_with_every_kind_and_forwards_the_rest(aws):
    """The proxy itself: 5 of each 20 EC2 requests refused, all three kinds, nothing refused is forwarded."""
    with AwsProxy(aws.endpoint_url, Throttle(SHARE, seed=SEED)) as proxy:
        ec2 = boto3.client(
            "ec2",
            endpoint_url=proxy.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),  # see every refusal
        )
        codes = []
        for _ in range(100):
            try:
                ec2.describe_vpcs()
                codes.append("ok")
            except ClientError as error:
                codes.append(error.response["Error"]["Code"])
    assert proxy.ec2_requests == 100
    assert len(proxy.injected) == 25
    assert len(proxy.forwarded.actions) == 75 == codes.count("ok")
    assert set(proxy.injected_by_kind()) == set(THROTTLE_KINDS)
    # botocore reads the bare 503 as error code "503"; AWS's codes come through as sent.
    assert set(codes) == {"ok", "RequestLimitExceeded", "ServiceUnavailable", "503"}


def test_converge_and_check_through_throttling_equal_a_clean_converge(aws):
    with aws.recording() as clean_calls:
        started = time.monotonic()
        clean = run_playbook(aws.endpoint_url, "setup_network.yml", role_vars("steady"))
        clean_seconds = time.monotonic() - started

    with AwsProxy(aws.endpoint_url, Throttle(SHARE, seed=SEED)) as proxy:
        started = time.monotonic()
        throttled = run_playbook(proxy.endpoint_url, "setup_network.yml", role_vars("throttled"))
        throttled_seconds = time.monotonic() - started
        role_requests, role_refused = proxy.ec2_requests, len(proxy.injected)
        role_calls = list(proxy.forwarded.actions)
        check_through_proxy = audit(aws, proxy.endpoint_url, throttled, "throttled")
    check_direct = audit(aws, aws.endpoint_url, throttled, "throttled")

    print(
        f"\nthrottling: {role_refused} of {role_requests} EC2 requests of the converge refused "
        f"({role_refused / role_requests:.0%}), {len(proxy.injected)} of {proxy.ec2_requests} with the check; "
        f"by kind {dict(proxy.injected_by_kind())}, at most {proxy.longest_refusal_streak()} in a row; "
        f"converge {throttled_seconds:.1f}s vs {clean_seconds:.1f}s clean"
    )
    assert role_refused / role_requests >= 0.2
    assert set(proxy.injected_by_kind()) == set(THROTTLE_KINDS)

    # Same play, same tasks changed; and every mutating call reached AWS exactly once, in the same order.
    assert recap(throttled) == recap(clean)
    assert proxy.forwarded.mutations == clean_calls.mutations
    # Every refused request was sent again until it got through, once: AWS saw the very calls of the clean run.
    assert Counter(role_calls) == Counter(clean_calls.actions)

    ec2 = aws.boto3_client("ec2")
    throttled_shape = network_shape(ec2, vpc_of(ec2, "throttled"), "throttled")
    assert throttled_shape == network_shape(ec2, vpc_of(ec2, "steady"), "steady")
    assert len(throttled_shape["nat_gateways"]) == ZONES

    assert check_through_proxy["findings"] == check_direct["findings"]
    assert check_through_proxy["summary"] == check_direct["summary"]
    assert check_through_proxy["subnets"] == check_direct["subnets"]
    assert [f for f in check_direct["findings"] if f["severity"] in ("error", "warning")] == []


@pytest.mark.parametrize("share", [-0.1, 1.0])
def test_proxy_refuses_a_share_outside_zero_to_one(aws, share):
    with pytest.raises(ValueError, match="throttle share"):
        AwsProxy(aws.endpoint_url, Throttle(share))


# -- a lost answer -------------------------------------------------------------------------------------------------
#
# AWS carried out the call, but the connection dropped before the answer came back (a network blip, a timeout in a
# proxy). botocore would send the request again, whatever it is, and a create call without a ClientToken would then
# create the resource a second time. Each case converges a network with the module the role runs, through a proxy
# that loses the answer to the first call of one create action: the run must still succeed. Converging again
# without the proxy must change nothing, and the region must hold no second resource and no idle address.

NETWORK = "lost-answer"


def converge(aws, endpoint_url):
    result = run_module(
        "network", {**aws.module_params(), "endpoint_url": endpoint_url, "network_name": NETWORK, "az_count": ZONES}
    )
    assert not result.get("failed"), result.get("msg")
    return result


def our_count(describe, key, **filters):
    filters = [{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}] + [
        {"Name": name, "Values": [value]} for name, value in filters.items()
    ]
    return len(describe(Filters=filters)[key])


@pytest.mark.parametrize(
    "action",
    [
        "CreateVpc",  # creates.create_once: the VPC is looked for by its identity tags, never resent
        "CreateSubnet",  # create_once, looked for by network, tier and zone
        "CreateInternetGateway",  # create_once
        "CreateRouteTable",  # create_once, with a ClientToken AWS (not the emulator) also honours
        "AllocateAddress",  # create_once: an address with the subnet's identity tags that the run had not seen
        "CreateNatGateway",  # deterministic ClientToken: the resent call returns the same NAT gateway
        "CreateSecurityGroup",  # create_once (a resent call would fail: the group's name is taken by then)
    ],
)
# Strongly consistent, and with every new id invisible for 2 s (the look for a lost resource must go on until AWS
# lists it, not create a second one).
@pytest.mark.parametrize("propagation_delay", [0.0, 2.0], indirect=True)
def test_lost_answer_to_a_create_leaves_no_second_resource(aws, propagation_delay, action):
    with AwsProxy(aws.endpoint_url, LoseAnswer(action)) as proxy:
        built = converge(aws, proxy.endpoint_url)
    assert proxy.lost == [action]
    assert action in proxy.forwarded.actions  # AWS carried out the call whose answer was lost

    wait_until_listed(aws, built["network"]["security_group_id"])
    rerun = converge(aws, aws.endpoint_url)
    assert (rerun["changed"], rerun["audit"]["summary"]["errors"]) == (False, 0)
    ec2 = aws.boto3_client("ec2")
    assert region_counts(ec2) == one_network_counts(ZONES)
    assert our_count(ec2.describe_subnets, "Subnets") == 2 * ZONES
    assert our_count(ec2.describe_route_tables, "RouteTables") == 1 + ZONES
    assert our_count(ec2.describe_security_groups, "SecurityGroups") == 1
