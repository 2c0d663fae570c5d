"""A quarter of all EC2 requests refused with throttling or 503 changes nothing about the result.

The role converges one network straight against the emulator and a second one through a proxy that refuses 25 %
of the EC2 requests (``RequestLimitExceeded``, ``ServiceUnavailable``, bare 503; seeded, so the same pattern each
run). Both plays must end alike (same PLAY RECAP), the AWS side must have seen exactly the same mutating calls
(a refused call is retried, never carried out twice), the two networks must have the same shape (ids aside), and
network_check through the proxy must report what it reports without it.
"""

import contextlib
import importlib
import io
import json
import re
import time
from collections import Counter

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from aws_proxy import THROTTLE_KINDS, AwsProxy
from botocore.config import Config
from botocore.exceptions import ClientError
from module_runner import run_module
from network_shape import network_shape, region_counts
from playbook_runner import run_playbook

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
    with AwsProxy(aws.endpoint_url, throttle_share=SHARE, seed=SEED) as proxy:
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

    with AwsProxy(aws.endpoint_url, throttle_share=SHARE, seed=SEED) as proxy:
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
    with pytest.raises(ValueError, match="throttle_share"):
        AwsProxy(aws.endpoint_url, throttle_share=share)


# -- a lost answer -------------------------------------------------------------------------------------------------
#
# AWS carried out the call, but the connection dropped before the answer came back (a network blip, a timeout in a
# proxy). botocore sends the request again, whatever it is. A create call without a ClientToken then creates the
# resource a second time. Each case below builds the network's resources in-process, module by module as the role
# does, through a proxy that loses the answer to the first call of one create action; then builds again without
# the proxy: that run must change nothing, and the region must hold no second resource and no idle address.

NETWORK = "lost-answer"
PUBLIC_CIDRS = {"us-east-1a": "10.0.0.0/20", "us-east-1b": "10.0.32.0/20"}


def run_any_module(fqcn, params):
    """Like module_runner.run_module, for a module of any installed collection (amazon.aws's too)."""
    namespace, collection, name = fqcn.split(".")
    module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}")
    stdout = io.StringIO()
    args = {**params, "_ansible_check_mode": False, "_ansible_diff": False}
    with patch_module_args(args), contextlib.redirect_stdout(stdout), contextlib.suppress(SystemExit):
        module.main()
    result = json.loads(stdout.getvalue())
    assert not result.get("failed"), f"{fqcn}: {result.get('msg')}"
    return result


def build_public_side(aws, endpoint_url):
    """VPC, public subnets, internet gateway, public route table and NAT gateways, as the role builds them; returns
    the modules' ``changed`` flags."""
    connection = {**aws.module_params(), "endpoint_url": endpoint_url}
    identity = {"cloudreactor:network": NETWORK}
    vpc = run_any_module(
        "amazon.aws.ec2_vpc_net",
        {
            **connection,
            "name": NETWORK,
            "cidr_block": "10.0.0.0/16",
            "dns_support": True,
            "dns_hostnames": True,
            "tags": {**identity, "cloudreactor:component": "vpc"},
            "purge_tags": False,
        },
    )
    vpc_id = vpc["vpc"]["id"]
    subnets = [
        run_any_module(
            "amazon.aws.ec2_vpc_subnet",
            {
                **connection,
                "vpc_id": vpc_id,
                "cidr": cidr,
                "az": zone,
                "map_public": True,
                "tags": {**identity, "cloudreactor:component": "subnet-public", "cloudreactor:az": zone},
                "purge_tags": False,
            },
        )
        for zone, cidr in PUBLIC_CIDRS.items()
    ]
    subnet_ids = [subnet["subnet"]["id"] for subnet in subnets]
    ours = {**connection, "network_name": NETWORK}
    igw = run_module("internet_gateway", {**ours, "vpc_id": vpc_id})
    assert not igw.get("failed"), igw
    table = run_module(
        "route_table",
        {
            **ours,
            "vpc_id": vpc_id,
            "name": "public",
            "internet_gateway_id": igw["internet_gateway_id"],
            "subnet_ids": subnet_ids,
        },
    )
    assert not table.get("failed"), table
    nats = run_module("nat_gateway", {**ours, "subnet_ids": subnet_ids})
    assert not nats.get("failed"), nats
    return {
        "vpc": vpc["changed"],
        "subnets": any(subnet["changed"] for subnet in subnets),
        "internet_gateway": igw["changed"],
        "route_table": table["changed"],
        "nat_gateways": nats["changed"],
    }


def _no_client_token(bug):
    return pytest.mark.xfail(strict=True, reason=bug)


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(
            "CreateVpc",
            marks=_no_client_token(
                "amazon.aws.ec2_vpc_net (the role's vpc.yml): CreateVpc has no ClientToken and botocore resends it "
                "after the dropped connection, so a second VPC with the same Name and CIDR exists; every later run "
                "then fails with 'Currently there are 2 VPCs that have the same name and CIDR block'"
            ),
        ),
        pytest.param(
            "CreateInternetGateway",
            marks=_no_client_token(
                "module_utils/internet_gateway.py _create: CreateInternetGateway has no ClientToken and botocore "
                "resends it, so a second gateway tagged for the network is created and attached; the first stays "
                "detached, and present() never removes a detached gateway of ours once one is attached"
            ),
        ),
        pytest.param(
            "CreateRouteTable",
            marks=_no_client_token(
                "module_utils/route_table.py _create: CreateRouteTable accepts a ClientToken but gets none, so the "
                "resent call creates a second table with the same identity tags; the next run warns 'Several route "
                "tables', switches to the lowest id (changed) and leaves the other (the emulator would also need to "
                "honour CreateRouteTable's ClientToken, as it does CreateNatGateway's)"
            ),
        ),
        pytest.param(
            "AllocateAddress",
            marks=_no_client_token(
                "module_utils/elastic_ip.py allocate (nat_gateway): AllocateAddress has no ClientToken and botocore "
                "resends it, so two tagged addresses exist for one NAT gateway; the idle one is never used nor "
                "released by later runs (it is billed; network_check reports EIP_LEAKED)"
            ),
        ),
        "CreateNatGateway",  # deterministic ClientToken: the resent call returns the same NAT gateway
    ],
)
def test_lost_answer_to_a_create_leaves_no_second_resource(aws, action):
    with AwsProxy(aws.endpoint_url, lose_answer_of=action) as proxy:
        build_public_side(aws, proxy.endpoint_url)
    assert proxy.lost == [action]
    # The call reached AWS twice: the lost one and botocore's resend.
    assert proxy.forwarded.count(action) >= 2

    rerun = build_public_side(aws, aws.endpoint_url)
    ec2 = aws.boto3_client("ec2")
    counts = region_counts(ec2)
    tables = ec2.describe_route_tables(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])
    assert (counts, len(tables["RouteTables"])) == (
        {
            "vpcs": 1,
            "internet_gateways": 1,
            "nat_gateways": 2,
            "nat_gateways_usable": 2,
            "elastic_ips": 2,
            "elastic_ips_free": 0,
        },
        1,
    )
    assert not any(rerun.values()), rerun
