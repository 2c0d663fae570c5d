"""cloudreactor.aws.nat_gateway against the emulator: NATs per public subnet, reuse, replacement, waits, removal."""

from types import SimpleNamespace

import pytest
from support.aws_proxy import AwsProxy
from support.module_runner import run_module

from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import identity_tags
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import nat_gateway as nat_utils

NETWORK = "prod"
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
NO_OP_READS = ["DescribeSubnets", "DescribeNatGateways", "DescribeAddresses"]


# -- scenario helpers ------------------------------------------------------------------------------------------


def build_network(ec2, public=2, cidr="10.0.0.0/16"):
    """A VPC with an attached IGW and ``public`` subnets (one per AZ) sharing a route table 0.0.0.0/0 -> IGW."""
    prefix = cidr.split(".")[1]
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    net = SimpleNamespace(vpc=vpc, igw=igw, public_rtb=public_rtb, subnets=[], cidr_prefix=prefix, next_block=0)
    for az in AZS[:public]:
        subnet = add_subnet(ec2, net, az)
        ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=subnet)
        net.subnets.append(subnet)
    return net


def add_subnet(ec2, net, az="us-east-1a"):
    block = net.next_block
    net.next_block += 1
    return ec2.create_subnet(VpcId=net.vpc, CidrBlock=f"10.{net.cidr_prefix}.{block}.0/24", AvailabilityZone=az)[
        "Subnet"
    ]["SubnetId"]


def add_private_subnet(ec2, net, az="us-east-1a"):
    """A subnet with its own route table and no default route; returns ``(subnet, route table)``."""
    subnet = add_subnet(ec2, net, az)
    rtb = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    return subnet, rtb


def our_eip(ec2, subnet, az="us-east-1a"):
    """An Elastic IP tagged as this network's NAT address for ``subnet`` (as the module would allocate it)."""
    tags = nat_utils.eip_tags(NETWORK, None, {"SubnetId": subnet, "AvailabilityZone": az})
    return ec2.allocate_address(
        Domain="vpc",
        TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["AllocationId"]


def boto3_nat(ec2, subnet, allocation, ours=False, az="us-east-1a"):
    kwargs = {}
    if ours:
        tags = nat_utils.nat_tags(NETWORK, None, {"SubnetId": subnet, "AvailabilityZone": az})
        kwargs["TagSpecifications"] = [
            {"ResourceType": "natgateway", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, **kwargs)["NatGateway"]["NatGatewayId"]


def describe_nat(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]


def tags_of(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags") or []}


def address(ec2, allocation_id):
    return ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"][0]


def allocation_ids(ec2):
    return sorted(eip["AllocationId"] for eip in ec2.describe_addresses()["Addresses"])


def warnings_of(result):
    """Warning texts of a result (ansible-core 2.19 reports them as structured summaries)."""
    return [warning["event"]["msg"] if isinstance(warning, dict) else warning for warning in result.get("warnings", [])]


def nat(aws, subnet_ids=None, check_mode=False, diff=False, **params):
    args = {**aws.module_params(), "network_name": NETWORK, **params}
    if subnet_ids is not None:
        args["subnet_ids"] = subnet_ids
    return run_module("nat_gateway", args, check_mode=check_mode, diff=diff)


# -- present ---------------------------------------------------------------------------------------------------


def test_creates_one_tagged_nat_and_eip_per_subnet(aws, ec2):
    net = build_network(ec2)
    with aws.recording() as rec:
        result = nat(aws, net.subnets, tags={"team": "data"})

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert sorted(rec.mutations) == ["AllocateAddress"] * 2 + ["CreateNatGateway"] * 2
    entries = result["nat_gateways"]
    assert [entry["subnet_id"] for entry in entries] == net.subnets
    assert [entry["availability_zone"] for entry in entries] == list(AZS[:2])
    assert {entry["action"] for entry in entries} == {"created"}
    assert {entry["allocation_source"] for entry in entries} == {"allocated"}
    assert len({entry["allocation_id"] for entry in entries}) == 2

    for entry, az in zip(entries, AZS, strict=False):
        described = describe_nat(ec2, entry["nat_gateway_id"])
        assert entry["state"] == described["State"] == "available"
        assert described["SubnetId"] == entry["subnet_id"]
        assert described["NatGatewayAddresses"][0]["AllocationId"] == entry["allocation_id"]
        assert tags_of(described) == {
            **identity_tags(NETWORK, "nat-gateway", az=az, subnet=entry["subnet_id"]),
            "Name": f"{NETWORK}-nat-{az}",
            "team": "data",
        }
        eip = address(ec2, entry["allocation_id"])
        assert eip["PublicIp"] == entry["public_ip"]
        assert tags_of(eip) == {
            **identity_tags(NETWORK, "elastic-ip", subnet=entry["subnet_id"]),
            "Name": f"{NETWORK}-nat-eip-{az}",
            "team": "data",
        }
    assert allocation_ids(ec2) == sorted(entry["allocation_id"] for entry in entries)


def test_rerun_changes_nothing_with_three_reads(aws, ec2):
    net = build_network(ec2)
    first = nat(aws, net.subnets, tags={"team": "data"}, diff=True)
    assert first["diff"]["before"] == dict.fromkeys(net.subnets)
    assert first["diff"]["after"] == {
        entry["subnet_id"]: {
            "nat_gateway_id": entry["nat_gateway_id"],
            "state": "available",
            "allocation_id": entry["allocation_id"],
        }
        for entry in first["nat_gateways"]
    }
    with aws.recording() as rec:
        second = nat(aws, net.subnets, tags={"team": "data"}, diff=True)

    assert second["changed"] is False
    assert rec.mutations == []
    assert rec.count("AllocateAddress") == 0
    assert rec.reads == NO_OP_READS
    assert [entry["nat_gateway_id"] for entry in second["nat_gateways"]] == [
        entry["nat_gateway_id"] for entry in first["nat_gateways"]
    ]
    assert {entry["action"] for entry in second["nat_gateways"]} == {"none"}
    assert {entry["allocation_source"] for entry in second["nat_gateways"]} == {"existing"}
    assert len(allocation_ids(ec2)) == 2
    assert second["diff"]["before"] == second["diff"]["after"] == first["diff"]["after"]
    assert "diff" not in nat(aws, net.subnets, tags={"team": "data"})


def test_changed_tags_update_our_nat_and_eip_only(aws, ec2):
    net = build_network(ec2, public=1)
    first = nat(aws, net.subnets)["nat_gateways"][0]
    with aws.recording() as rec:
        result = nat(aws, net.subnets, tags={"team": "ops"})

    assert result["changed"] is True
    assert result["nat_gateways"][0]["action"] == "updated"
    assert rec.mutations == ["CreateTags", "CreateTags"]
    assert tags_of(describe_nat(ec2, first["nat_gateway_id"]))["team"] == "ops"
    assert tags_of(address(ec2, first["allocation_id"]))["team"] == "ops"
    assert nat(aws, net.subnets, tags={"team": "ops"})["changed"] is False


def test_adopts_a_foreign_nat_without_touching_it(aws, ec2):
    net = build_network(ec2)
    foreign_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    foreign = boto3_nat(ec2, net.subnets[0], foreign_eip)
    with aws.recording() as rec:
        result = nat(aws, net.subnets)

    adopted, created = result["nat_gateways"]
    assert (adopted["nat_gateway_id"], adopted["action"], adopted["allocation_id"]) == (foreign, "adopted", foreign_eip)
    assert adopted["allocation_source"] == "existing"
    assert created["action"] == "created"
    assert sorted(rec.mutations) == ["AllocateAddress", "CreateNatGateway"]
    assert tags_of(describe_nat(ec2, foreign)) == {}
    assert tags_of(address(ec2, foreign_eip)) == {}

    with aws.recording() as rec:
        again = nat(aws, net.subnets, tags={"team": "data"})
    assert again["nat_gateways"][0]["action"] == "adopted"
    assert tags_of(describe_nat(ec2, foreign)) == {}, "a NAT that is not ours is never tagged"
    assert "CreateNatGateway" not in rec.mutations


def test_failed_nat_of_ours_is_replaced_and_its_eip_reused(aws, ec2):
    net = build_network(ec2, public=1)
    subnet, rtb = add_private_subnet(ec2, net, "us-east-1b")
    eip = our_eip(ec2, subnet, "us-east-1b")
    failed = boto3_nat(ec2, subnet, eip, ours=True, az="us-east-1b")
    assert describe_nat(ec2, failed)["State"] == "failed"
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)

    with aws.recording() as rec:
        result = nat(aws, [subnet], diff=True)

    assert not result.get("failed"), result
    entry = result["nat_gateways"][0]
    assert entry["action"] == "replaced"
    assert entry["replaced_nat_gateway_id"] == failed
    assert entry["failure_code"] == "Gateway.NotAttached"
    assert entry["failure_message"]
    assert (entry["allocation_id"], entry["allocation_source"]) == (eip, "reused")
    assert entry["nat_gateway_id"] != failed
    assert entry["state"] == "available"
    assert rec.count("AllocateAddress") == 0
    assert rec.count("DeleteNatGateway") == 1
    assert describe_nat(ec2, failed)["State"] in ("deleting", "deleted")
    assert result["diff"]["before"][subnet] == {"nat_gateway_id": failed, "state": "failed", "allocation_id": eip}
    assert result["diff"]["after"][subnet]["nat_gateway_id"] == entry["nat_gateway_id"]
    assert nat(aws, [subnet])["changed"] is False


def test_routes_to_the_replaced_nat_are_reported_until_route_table_moves_them(aws, ec2):
    net = build_network(ec2, public=1)
    subnet, rtb = add_private_subnet(ec2, net, "us-east-1b")
    failed = boto3_nat(ec2, subnet, our_eip(ec2, subnet, "us-east-1b"), ours=True, az="us-east-1b")
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)
    ours = ec2.create_route_table(
        VpcId=net.vpc,
        TagSpecifications=[
            {
                "ResourceType": "route-table",
                "Tags": [
                    {"Key": key, "Value": value}
                    for key, value in identity_tags(NETWORK, "route-table", table="private").items()
                ],
            }
        ],
    )["RouteTable"]["RouteTableId"]
    theirs = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    for table in (ours, theirs):
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=failed)

    def stale(nat_id):
        return [
            {
                "route_table_id": table,
                "destination": "0.0.0.0/0",
                "replaced_nat_gateway_id": failed,
                "nat_gateway_id": nat_id,
                "subnet_id": subnet,
                "ours": table == ours,
            }
            for table in sorted((ours, theirs))
        ]

    assert nat(aws, [subnet], check_mode=True)["routes_to_replaced"] == stale(None)
    result = nat(aws, [subnet])
    replacement = result["nat_gateways"][0]["nat_gateway_id"]
    assert result["routes_to_replaced"] == stale(replacement)

    moved = run_module(
        "route_table",
        {
            **aws.module_params(),
            "vpc_id": net.vpc,
            "network_name": NETWORK,
            "name": "private",
            "nat_gateway_id": replacement,
        },
    )
    assert moved["route_table_id"] == ours
    again = nat(aws, [subnet])
    assert again["changed"] is False
    assert again["routes_to_replaced"] == [entry for entry in stale(replacement) if not entry["ours"]]


def test_nat_of_ours_still_deleting_is_waited_for_and_its_eip_reused(aws, ec2):
    net = build_network(ec2, public=1)
    first = nat(aws, net.subnets)["nat_gateways"][0]
    aws.set_nat_transition("manual", times=2)
    ec2.delete_nat_gateway(NatGatewayId=first["nat_gateway_id"])

    with aws.recording() as rec:
        result = nat(aws, net.subnets)

    assert not result.get("failed"), result
    entry = result["nat_gateways"][0]
    assert entry["action"] == "created"
    assert (entry["allocation_id"], entry["allocation_source"]) == (first["allocation_id"], "reused")
    assert rec.count("AllocateAddress") == 0
    assert describe_nat(ec2, first["nat_gateway_id"])["State"] == "deleted"
    assert allocation_ids(ec2) == [first["allocation_id"]]


def test_given_allocation_ids_are_used_and_never_released(aws, ec2):
    net = build_network(ec2)
    given = [ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in net.subnets]
    with aws.recording() as rec:
        result = nat(aws, net.subnets, allocation_ids=given)

    assert [entry["allocation_id"] for entry in result["nat_gateways"]] == given
    assert {entry["allocation_source"] for entry in result["nat_gateways"]} == {"given"}
    assert rec.count("AllocateAddress") == 0
    for entry in result["nat_gateways"]:
        assert tags_of(address(ec2, entry["allocation_id"])) == {}, "a given address is not ours: never tagged"

    removed = nat(aws, state="absent")
    assert removed["changed"] is True
    assert removed["released_allocation_ids"] == []
    assert {entry["state"] for entry in removed["nat_gateways"]} == {"deleted"}
    assert allocation_ids(ec2) == sorted(given)


def test_client_token_makes_a_retried_create_return_the_same_nat(aws, ec2):
    aws.set_nat_transition("manual", times=3)
    net = build_network(ec2, public=1)
    subnet = net.subnets[0]
    with aws.recording() as rec:
        result = nat(aws, [subnet], wait=False)
    entry = result["nat_gateways"][0]
    assert entry["state"] == "pending"
    assert rec.count("DescribeNatGateways") == 1, "wait: false returns right after the create"

    # A crash after CreateNatGateway reached AWS, then the same request again: AWS answers with the same NAT.
    token = nat_utils.client_token(NETWORK, subnet, entry["allocation_id"], "")
    assert len(token) <= 64 and token.isascii()
    retried = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=entry["allocation_id"], ClientToken=token)
    assert retried["NatGateway"]["NatGatewayId"] == entry["nat_gateway_id"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1

    # A rerun while the NAT is still pending keeps it (and waits for it) instead of creating another.
    with aws.recording() as rec:
        again = nat(aws, [subnet])
    assert again["changed"] is False
    assert again["nat_gateways"][0]["nat_gateway_id"] == entry["nat_gateway_id"]
    assert again["nat_gateways"][0]["state"] == "available"
    assert rec.mutations == []


def test_client_token_depends_on_every_input():
    base = nat_utils.client_token(NETWORK, "subnet-1", "eipalloc-1", "")
    assert base == nat_utils.client_token(NETWORK, "subnet-1", "eipalloc-1", "")
    variants = {
        nat_utils.client_token("staging", "subnet-1", "eipalloc-1", ""),
        nat_utils.client_token(NETWORK, "subnet-2", "eipalloc-1", ""),
        nat_utils.client_token(NETWORK, "subnet-1", "eipalloc-2", ""),
        nat_utils.client_token(NETWORK, "subnet-1", "eipalloc-1", "nat-1"),
    }
    assert base not in variants and len(variants) == 4


def test_token_of_a_deleted_nat_is_not_reused(aws, ec2):
    """Bring-your-own address, remove, create again: the new NAT succeeds the deleted one (another token)."""
    net = build_network(ec2, public=1)
    given = [ec2.allocate_address(Domain="vpc")["AllocationId"]]
    first = nat(aws, net.subnets, allocation_ids=given)["nat_gateways"][0]["nat_gateway_id"]
    assert nat(aws, state="absent")["changed"] is True

    with aws.recording() as rec:
        second = nat(aws, net.subnets, allocation_ids=given)["nat_gateways"][0]
    assert rec.count("CreateNatGateway") == 1, "the deleted NAT is the predecessor: a fresh token at once"
    assert second["action"] == "created"
    assert second["nat_gateway_id"] != first
    assert second["state"] == "available"


def test_stale_token_of_a_gone_nat_is_skipped(aws, ec2):
    """A token AWS still remembers for a NAT that is gone must not hand that dead NAT back as the new one."""
    net = build_network(ec2, public=1)
    subnet = net.subnets[0]
    given = ec2.allocate_address(Domain="vpc")["AllocationId"]
    token = nat_utils.client_token(NETWORK, subnet, given, "")
    stale = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=given, ClientToken=token)["NatGateway"]
    ec2.delete_nat_gateway(NatGatewayId=stale["NatGatewayId"])
    assert describe_nat(ec2, stale["NatGatewayId"])["State"] == "deleted"

    with aws.recording() as rec:
        entry = nat(aws, [subnet], allocation_ids=[given])["nat_gateways"][0]
    assert rec.count("CreateNatGateway") == 2, "the first token returned the dead NAT; the next one succeeds it"
    assert entry["action"] == "created"
    assert entry["nat_gateway_id"] != stale["NatGatewayId"]
    assert entry["state"] == "available"


def test_waits_for_all_new_nats_together(aws, ec2):
    aws.set_nat_transition("manual", times=3)
    net = build_network(ec2)
    with aws.recording() as rec:
        result = nat(aws, net.subnets, wait_timeout=60)

    assert not result.get("failed"), result
    assert [entry["state"] for entry in result["nat_gateways"]] == ["available", "available"]
    creates = [i for i, action in enumerate(rec.actions) if action == "CreateNatGateway"]
    polls = [i for i, action in enumerate(rec.actions) if action == "DescribeNatGateways"][1:]
    assert len(creates) == 2
    assert max(creates) < min(polls), "every NAT is created before the first poll"
    # One describe to plan, then 3 polls that each cover both NATs (waiting one after the other would take 6).
    assert rec.count("DescribeNatGateways") == 4


def test_new_nat_failing_while_waiting_fails_fast_with_its_failure_code(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_network(ec2, public=0)
    subnet, rtb = add_private_subnet(ec2, net)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)
    route_removed = []

    def lose_the_route(call, status):
        # The subnet's route to the internet gateway goes away once the module has checked it and allocated its
        # address, before CreateNatGateway: AWS fails the NAT gateway (Gateway.NotAttached).
        if call.action == "AllocateAddress" and not route_removed:
            ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
            route_removed.append(call.action)

    with AwsProxy(aws.endpoint_url, on_answer=lose_the_route) as proxy, aws.recording() as rec:
        result = nat(aws, [subnet], wait_timeout=300, endpoint_url=proxy.endpoint_url)

    assert route_removed, "the route went away before CreateNatGateway"

    assert result["failed"] is True
    assert "Gateway.NotAttached" in result["msg"]
    assert subnet in result["msg"]
    assert result["failure_code"] == "Gateway.NotAttached"
    assert result["nat_gateway_id"] in result["msg"]
    assert result["changed"] is True
    assert rec.count("DescribeNatGateways") == 3  # plan, pending, failed: no polling until the timeout


def test_pending_nat_failing_while_waiting_fails_fast(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_network(ec2, public=0)
    subnet, rtb = add_private_subnet(ec2, net)
    doomed = boto3_nat(ec2, subnet, our_eip(ec2, subnet), ours=True)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)

    with aws.recording() as rec:
        result = nat(aws, [subnet], wait_timeout=300)

    assert result["failed"] is True
    assert f"NAT gateway {doomed} in subnet {subnet} failed: Gateway.NotAttached" in result["msg"]
    assert rec.mutations == []
    assert rec.count("DescribeNatGateways") == 2

    # The next run replaces it.
    replaced = nat(aws, [subnet])["nat_gateways"][0]
    assert (replaced["action"], replaced["replaced_nat_gateway_id"]) == ("replaced", doomed)


def test_non_public_subnets_are_refused_before_any_mutation(aws, ec2):
    net = build_network(ec2, public=1)
    explicit, explicit_rtb = add_private_subnet(ec2, net, "us-east-1b")
    on_main = add_subnet(ec2, net, "us-east-1c")
    main_rtb = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [net.vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]

    with aws.recording() as rec:
        result = nat(aws, [net.subnets[0], explicit, on_main])

    assert result["failed"] is True
    assert rec.mutations == []
    assert result["msg"].startswith("subnet_ids: ")
    assert f"subnet {explicit} routes through route table {explicit_rtb}, which has no 0.0.0.0/0 route" in result["msg"]
    assert f"subnet {on_main} routes through the main route table {main_rtb}" in result["msg"]
    assert net.subnets[0] not in result["msg"]
    assert result["not_public_subnets"] == [explicit, on_main]
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    assert ec2.describe_addresses()["Addresses"] == []


def test_default_route_to_a_detached_igw_is_refused(aws, ec2):
    net = build_network(ec2, public=1)
    ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    with aws.recording() as rec:
        result = nat(aws, net.subnets)
    assert result["failed"] is True
    assert rec.mutations == []
    assert net.igw in result["msg"] and net.public_rtb in result["msg"]


# -- absent ----------------------------------------------------------------------------------------------------


def test_absent_deletes_ours_waits_and_releases_every_eip_we_allocated(aws, ec2):
    net = build_network(ec2, public=3)
    created = nat(aws, net.subnets[:2])["nat_gateways"]
    ours_eips = sorted(entry["allocation_id"] for entry in created)
    foreign_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    foreign = boto3_nat(ec2, net.subnets[2], foreign_eip)
    leaked = our_eip(ec2, net.subnets[2])  # ours, free: allocated by an interrupted run
    aws.set_nat_transition("manual", times=2)

    with aws.recording() as rec:
        result = nat(aws, state="absent", diff=True)

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert sorted(result["released_allocation_ids"]) == sorted([*ours_eips, leaked])
    assert sorted(entry["nat_gateway_id"] for entry in result["nat_gateways"]) == sorted(
        entry["nat_gateway_id"] for entry in created
    )
    assert {(entry["action"], entry["state"]) for entry in result["nat_gateways"]} == {("deleted", "deleted")}
    assert rec.count("DeleteNatGateway") == 2
    assert rec.count("ReleaseAddress") == 3
    assert rec.actions.index("ReleaseAddress") > max(i for i, a in enumerate(rec.actions) if a == "DescribeNatGateways")
    # deleting -> deleted takes two describes with one describe covering both NATs.
    assert rec.count("DescribeNatGateways") == 3
    for entry in created:
        assert describe_nat(ec2, entry["nat_gateway_id"])["State"] == "deleted"
    assert describe_nat(ec2, foreign)["State"] == "available"
    assert allocation_ids(ec2) == [foreign_eip]
    assert result["diff"]["after"] == {subnet: None for subnet in net.subnets[:2]}
    assert result["diff"]["before"][net.subnets[0]]["nat_gateway_id"] == created[0]["nat_gateway_id"]

    with aws.recording() as rec:
        again = nat(aws, state="absent")
    assert again["changed"] is False
    assert again["released_allocation_ids"] == []
    assert rec.mutations == []
    assert rec.reads == ["DescribeNatGateways", "DescribeAddresses"]


def test_absent_with_subnet_ids_removes_only_those(aws, ec2):
    net = build_network(ec2)
    kept, removed = nat(aws, net.subnets)["nat_gateways"]
    result = nat(aws, [removed["subnet_id"]], state="absent")

    assert [entry["nat_gateway_id"] for entry in result["nat_gateways"]] == [removed["nat_gateway_id"]]
    assert result["released_allocation_ids"] == [removed["allocation_id"]]
    assert describe_nat(ec2, kept["nat_gateway_id"])["State"] == "available"
    assert allocation_ids(ec2) == [kept["allocation_id"]]


def test_absent_without_wait_keeps_eips_still_held(aws, ec2):
    net = build_network(ec2, public=1)
    entry = nat(aws, net.subnets)["nat_gateways"][0]
    aws.set_nat_transition("manual", times=2)

    result = nat(aws, state="absent", wait=False)
    assert result["changed"] is True
    assert result["nat_gateways"][0]["state"] == "deleting"
    assert result["released_allocation_ids"] == []
    assert any(entry["allocation_id"] in warning for warning in warnings_of(result))

    later = nat(aws, state="absent")
    assert later["released_allocation_ids"] == [entry["allocation_id"]]
    assert allocation_ids(ec2) == []


# -- check mode, diff ------------------------------------------------------------------------------------------


def test_check_mode_reports_the_plan_and_changes_nothing(aws, ec2):
    net = build_network(ec2, public=3)
    given = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ours = our_eip(ec2, net.subnets[1], "us-east-1b")
    with aws.recording() as rec:
        result = nat(aws, net.subnets, check_mode=True, diff=True)
        given_result = nat(aws, net.subnets[:1], allocation_ids=[given], check_mode=True, diff=True)
    assert rec.mutations == []
    assert ec2.describe_nat_gateways()["NatGateways"] == []
    assert allocation_ids(ec2) == sorted([given, ours])
    assert result["changed"] is True
    plan = [
        (e["action"], e["nat_gateway_id"], e["allocation_source"], e["allocation_id"]) for e in result["nat_gateways"]
    ]
    assert plan == [
        ("created", None, "allocated", None),
        ("created", None, "reused", ours),
        ("created", None, "allocated", None),
    ]
    assert result["diff"]["before"] == dict.fromkeys(net.subnets)
    assert result["diff"]["after"][net.subnets[1]] == {"nat_gateway_id": None, "state": None, "allocation_id": ours}
    assert given_result["nat_gateways"][0]["allocation_source"] == "given"
    assert given_result["diff"]["after"] == {
        net.subnets[0]: {"nat_gateway_id": None, "state": None, "allocation_id": given}
    }

    nat(aws, net.subnets[:1])
    with aws.recording() as rec:
        removal = nat(aws, state="absent", check_mode=True, diff=True)
    assert removal["changed"] is True
    assert [entry["action"] for entry in removal["nat_gateways"]] == ["deleted"]
    assert sorted(removal["released_allocation_ids"]) == sorted(eip for eip in allocation_ids(ec2) if eip != given)
    assert removal["diff"]["after"] == {net.subnets[0]: None}
    assert rec.mutations == []
    with aws.recording() as rec:
        keeping = nat(aws, state="absent", allocation_ids=[ours], check_mode=True)
    assert ours in removal["released_allocation_ids"]
    assert ours not in keeping["released_allocation_ids"], "an address given in allocation_ids is never released"
    assert rec.mutations == []
    assert describe_nat(ec2, removal["nat_gateways"][0]["nat_gateway_id"])["State"] == "available"


# -- bad input -------------------------------------------------------------------------------------------------


def _two_vpcs(ec2):
    first = build_network(ec2, public=1)
    second = build_network(ec2, public=1, cidr="10.1.0.0/16")
    return {"subnet_ids": [first.subnets[0], second.subnets[0]]}, "subnet_ids: the subnets are in 2 VPCs"


BAD_INPUTS = {
    "malformed subnet id": (
        lambda ec2: ({"subnet_ids": ["subnet-xyz"]}, "subnet_ids: 'subnet-xyz' is not a subnet id")
    ),
    "unknown subnet": (lambda ec2: ({"subnet_ids": ["subnet-0123456789abcdef0"]}, "subnet_ids: ")),
    "duplicate subnet": (
        lambda ec2: (
            {"subnet_ids": [build_network(ec2, public=1).subnets[0]] * 2},
            "is listed more than once",
        )
    ),
    "allocation_ids length mismatch": (
        lambda ec2: (
            {"subnet_ids": build_network(ec2).subnets, "allocation_ids": [ec2.allocate_address()["AllocationId"]]},
            "allocation_ids: has 1 entries for 2 subnet_ids",
        )
    ),
    "malformed allocation id": (
        lambda ec2: (
            {"subnet_ids": build_network(ec2, public=1).subnets, "allocation_ids": ["eip-1"]},
            "allocation_ids: 'eip-1' is not a eipalloc id",
        )
    ),
    "unknown allocation id": (
        lambda ec2: (
            {"subnet_ids": build_network(ec2, public=1).subnets, "allocation_ids": ["eipalloc-0123456789abcdef0"]},
            "allocation_ids: ",
        )
    ),
    "duplicate allocation id": (
        lambda ec2: (
            {"subnet_ids": build_network(ec2).subnets, "allocation_ids": [ec2.allocate_address()["AllocationId"]] * 2},
            "listed more than once (an address serves one NAT gateway)",
        )
    ),
    "subnets in two VPCs": _two_vpcs,
    "empty network name": (
        lambda ec2: ({"subnet_ids": build_network(ec2, public=1).subnets, "network_name": " "}, "network_name: ")
    ),
    "no subnet for present": (lambda ec2: ({"subnet_ids": []}, "subnet_ids: give at least one public subnet")),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_before_any_mutation(aws, ec2, case):
    params, message = BAD_INPUTS[case](ec2)
    with aws.recording() as rec:
        result = nat(aws, **params)
    assert result["failed"] is True
    assert message in result["msg"]
    assert rec.mutations == []


def test_given_address_in_use_is_refused_before_any_mutation(aws, ec2):
    net = build_network(ec2, public=3)
    busy = nat(aws, net.subnets[:1])["nat_gateways"][0]["allocation_id"]
    free = ec2.allocate_address(Domain="vpc")["AllocationId"]
    with aws.recording() as rec:
        result = nat(aws, net.subnets[1:], allocation_ids=[free, busy])
    assert result["failed"] is True
    assert result["msg"].startswith(f"allocation_ids: {busy} (for subnet {net.subnets[2]}) is already associated")
    assert rec.mutations == []
