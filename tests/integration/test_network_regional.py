"""cloudreactor.aws.network with nat_gateways regional: one regional NAT gateway for every private route table.

Built from scratch (2 and 3 zones, automatic and manual mode), rerun with nothing to do, adopted, repaired, planned
in check mode and removed. The emulator's ``nat_regional`` patch plays AWS's regional NAT gateways.
"""

import pytest
from support.module_runner import run_module
from support.network_shape import region_counts

from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import regional_nat_gateway

NETWORK = "regional"
# A rerun with nothing to do makes the calls of the default per_az network's (test_network_module.py): the regional
# gateway, and the absence of zonal ones in the public subnets, are answered from the run's first reading of the VPC.
NOOP_CALLS = 12


def run(aws, check_mode=False, diff=False, **params):
    return run_module(
        "network",
        {**aws.module_params(), "network_name": NETWORK, "nat_gateways": "regional", **params},
        check_mode=check_mode,
        diff=diff,
    )


def succeeded(result):
    assert not result.get("failed"), result.get("msg")
    return result


def live_nats(ec2, vpc_id):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "state", "Values": ["pending", "available"]}]
    return ec2.describe_nat_gateways(Filter=filters)["NatGateways"]


def private_default_targets(ec2, network):
    tables = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": network["private_subnet_ids"]}]
    )["RouteTables"]
    return [
        route.get("NatGatewayId")
        for table in tables
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == "0.0.0.0/0"
    ]


def allocate(ec2, count):
    return [ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(count)]


def regional_tags(**extra):
    tags = regional_nat_gateway.nat_tags(NETWORK, None) | extra
    return [{"ResourceType": "natgateway", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


@pytest.mark.parametrize("zones", [2, 3])
def test_from_scratch_every_private_table_routes_to_one_regional_gateway_and_the_audit_is_clean(aws, ec2, zones):
    built = succeeded(run(aws, az_count=zones))
    network = built["network"]

    (nat,) = live_nats(ec2, network["vpc_id"])
    assert nat["AvailabilityMode"] == "regional" and nat["State"] == "available"
    assert (nat["AutoProvisionZones"], "SubnetId" in nat) == ("enabled", False)
    assert network["nat_gateway_ids"] == [nat["NatGatewayId"]]
    assert private_default_targets(ec2, network) == [nat["NatGatewayId"]] * zones
    assert len(network["public_subnet_ids"]) == zones  # still built: load balancers, a way back to per_az
    assert {tag["Key"]: tag["Value"] for tag in nat["Tags"]}["cloudreactor:mode"] == "regional"
    assert built["audit"]["summary"]["errors"] == 0
    assert "NAT_REGIONAL" in {finding["code"] for finding in built["audit"]["findings"]}
    assert ec2.describe_addresses()["Addresses"] == []  # automatic mode: no address of ours

    with aws.recording() as rec:
        again = succeeded(run(aws, az_count=zones))
    assert (again["changed"], rec.mutations) == (False, [])
    assert len(rec.actions) == NOOP_CALLS, sorted(rec.actions)
    assert again["network"]["nat_gateway_ids"] == network["nat_gateway_ids"]


def test_manual_mode_splits_the_addresses_over_the_zones_and_teardown_keeps_them(aws, ec2):
    mine = allocate(ec2, 4)
    built = succeeded(run(aws, nat_allocation_ids=mine))
    (nat,) = live_nats(ec2, built["network"]["vpc_id"])
    assert nat["AutoProvisionZones"] == "disabled"
    by_zone = [(address["AvailabilityZone"], address["AllocationId"]) for address in nat["NatGatewayAddresses"]]
    assert by_zone == [
        ("us-east-1a", mine[0]),
        ("us-east-1a", mine[1]),
        ("us-east-1b", mine[2]),
        ("us-east-1b", mine[3]),
    ]
    assert built["audit"]["summary"]["errors"] == 0
    with aws.recording() as rec:
        assert succeeded(run(aws, nat_allocation_ids=mine))["changed"] is False
    assert rec.mutations == []

    removed = succeeded(run(aws, state="absent", nat_allocation_ids=mine))
    assert f"deleted regional NAT gateway {nat['NatGatewayId']}" in removed["changes"]
    kept = ec2.describe_addresses(AllocationIds=mine)["Addresses"]
    assert [address["AllocationId"] for address in kept] == mine
    assert not any(address.get("AssociationId") for address in kept)


def test_a_count_that_does_not_split_over_the_zones_fails_before_any_call(aws, ec2):
    mine = allocate(ec2, 3)
    with aws.recording() as rec:
        result = run(aws, nat_allocation_ids=mine, option_prefix="fargate_network_")
    assert result["failed"]
    assert result["msg"].startswith("fargate_network_nat_allocation_ids: has 3 entries for 2 zones"), result["msg"]
    assert rec.actions == []


def test_a_users_regional_gateway_is_used_as_it_is_and_kept_on_teardown(aws, ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    theirs = ec2.create_nat_gateway(AvailabilityMode="regional", VpcId=vpc_id)["NatGateway"]["NatGatewayId"]

    built = succeeded(run(aws, vpc_id=vpc_id, audit_fail_on="never"))
    assert built["network"]["nat_gateway_ids"] == [theirs]
    assert private_default_targets(ec2, built["network"]) == [theirs, theirs]
    assert [nat["NatGatewayId"] for nat in live_nats(ec2, vpc_id)] == [theirs]
    assert ec2.describe_nat_gateways(NatGatewayIds=[theirs])["NatGateways"][0].get("Tags", []) == []

    succeeded(run(aws, vpc_id=vpc_id, state="absent"))
    assert [nat["NatGatewayId"] for nat in live_nats(ec2, vpc_id)] == [theirs]


def test_a_failed_gateway_of_ours_is_replaced_and_the_routes_to_a_deleted_one_repaired(aws, ec2):
    network = succeeded(run(aws))["network"]
    (first,) = network["nat_gateway_ids"]
    busy = allocate(ec2, 1)[0]
    eni = ec2.create_network_interface(SubnetId=network["private_subnet_ids"][0])["NetworkInterface"]
    ec2.associate_address(AllocationId=busy, NetworkInterfaceId=eni["NetworkInterfaceId"])
    zone = [{"AvailabilityZone": "us-east-1a", "AllocationIds": [busy]}]
    failed = ec2.create_nat_gateway(
        AvailabilityMode="regional",
        VpcId=network["vpc_id"],
        AvailabilityZoneAddresses=zone,
        TagSpecifications=regional_tags(),
    )["NatGateway"]["NatGatewayId"]
    ec2.delete_nat_gateway(NatGatewayId=first)
    assert ec2.describe_nat_gateways(NatGatewayIds=[failed])["NatGateways"][0]["State"] == "failed"

    planned = succeeded(run(aws, check_mode=True))
    # No private table has egress (its gateway is deleted): each points at the new gateway at once, no wait.
    assert planned["changes"] == ["replaced regional NAT gateway"] + [
        f"route table private-{az}: replaced default route 0.0.0.0/0: {first} (NAT gateway {first} deleted) "
        "-> (new regional NAT gateway)"
        for az in ("us-east-1a", "us-east-1b")
    ]

    with aws.recording() as rec:
        repaired = succeeded(run(aws, diff=True))
    (entry,) = [nat for nat in live_nats(ec2, network["vpc_id"])]
    assert rec.count("DeleteNatGateway") == 1 and rec.count("CreateNatGateway") == 1
    assert f"replaced regional NAT gateway {entry['NatGatewayId']}" in repaired["changes"]
    assert repaired["diff"]["before"]["regional_nat_gateway"]["nat_gateway_id"] == failed
    assert private_default_targets(ec2, network) == [entry["NatGatewayId"]] * 2
    assert repaired["audit"]["summary"]["errors"] == 0
    assert succeeded(run(aws))["changed"] is False


def test_check_mode_on_nothing_plans_the_regional_gateway_and_changes_nothing(aws):
    with aws.recording() as rec:
        planned = succeeded(run(aws, check_mode=True))
    assert planned["changed"] and rec.mutations == []
    assert planned["changes"][0] == "created VPC"


def test_switching_between_per_az_and_regional_removes_the_gateways_no_longer_used(aws, ec2):
    per_az = succeeded(run(aws, nat_gateways="per_az"))["network"]
    regional = succeeded(run(aws))["network"]
    (nat,) = live_nats(ec2, per_az["vpc_id"])
    assert regional["nat_gateway_ids"] == [nat["NatGatewayId"]] and nat["AvailabilityMode"] == "regional"
    ours = [{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}]
    assert ec2.describe_addresses(Filters=ours)["Addresses"] == []  # the zonal gateways' addresses: released

    back = succeeded(run(aws, nat_gateways="per_az"))
    assert f"deleted regional NAT gateway {nat['NatGatewayId']}" in back["changes"]
    assert sorted(nat["AvailabilityMode"] for nat in live_nats(ec2, per_az["vpc_id"])) == ["zonal", "zonal"]


def test_a_pending_gateway_is_reported_for_the_progress_loop(aws, ec2):
    aws.set_nat_transition("manual", times=3)
    result = succeeded(run(aws, wait_for_nat_gateways=False))
    (nat_id,) = result["network"]["nat_gateway_ids"]
    assert result["pending_nat_gateways"] == [
        {"nat_gateway_id": nat_id, "availability_zone": "regional", "subnet_id": None, "state": "pending"}
    ]
    waited = run_module("nat_gateway_wait", {**aws.module_params(), "nat_gateway_ids": [nat_id], "timeout": 30})
    assert waited["available"] is True
    assert waited["nat_gateways"] == [{"nat_gateway_id": nat_id, "subnet_id": None, "state": "available"}]


def test_build_and_teardown_through_ec2_propagation_delay_leave_nothing(aws, ec2, propagation_delay):
    # The regional gateway is created, routed to and waited for while AWS does not list it yet: the run trusts its
    # own create answer, and calls naming the new id retry until it propagates.
    built = succeeded(run(aws))
    assert built["audit"]["summary"]["errors"] == 0
    with aws.recording() as rec:
        planned = succeeded(run(aws, check_mode=True, state="absent"))
    assert rec.mutations == []
    removed = succeeded(run(aws, state="absent"))
    assert removed["changes"] == planned["changes"]
    assert f"deleted regional NAT gateway {built['network']['nat_gateway_ids'][0]}" in removed["changes"]
    assert removed["changes"][-1] == f"deleted VPC {built['network']['vpc_id']}"
    aws.set_propagation_delay(0)
    assert region_counts(ec2) == dict.fromkeys(
        ("vpcs", "internet_gateways", "nat_gateways", "nat_gateways_usable", "elastic_ips", "elastic_ips_free"), 0
    )
