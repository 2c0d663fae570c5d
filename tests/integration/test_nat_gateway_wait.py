"""Waiting for NAT gateways in rounds: cloudreactor.aws.network leaving them pending (wait_for_nat_gateways: false)
and cloudreactor.aws.nat_gateway_wait polling them, as the role does to print progress between rounds."""

from support.module_runner import run_module

NETWORK = "waits"


def network(aws, **params):
    return run_module("network", {**aws.module_params(), "network_name": NETWORK, **params})


def nat_wait(aws, nat_gateway_ids, **params):
    return run_module("nat_gateway_wait", {**aws.module_params(), "nat_gateway_ids": nat_gateway_ids, **params})


def private_default_targets(ec2, vpc_id):
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return sorted(
        route["NatGatewayId"]
        for table in tables
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == "0.0.0.0/0" and "NatGatewayId" in route
    )


def test_network_leaves_new_nat_gateways_pending_routed_and_unaudited(aws, ec2):
    aws.set_nat_transition("manual", times=3)

    built = network(aws, wait_for_nat_gateways=False)

    assert not built.get("failed"), built.get("msg")
    pending = built["pending_nat_gateways"]
    assert [(nat["availability_zone"], nat["state"]) for nat in pending] == [
        ("us-east-1a", "pending"),
        ("us-east-1b", "pending"),
    ]
    assert [nat["nat_gateway_id"] for nat in pending] == built["network"]["nat_gateway_ids"]
    assert "check" not in built  # an audit now would report the pending NAT gateways
    # AWS accepts routes to a pending NAT gateway: the private tables are complete already.
    assert private_default_targets(ec2, built["network"]["vpc_id"]) == sorted(built["network"]["nat_gateway_ids"])

    waited = nat_wait(aws, built["network"]["nat_gateway_ids"], timeout=60)
    assert waited["available"] is True

    audited = network(aws)
    assert (audited["changed"], audited["pending_nat_gateways"]) == (False, [])
    assert audited["audit"]["summary"]["errors"] == 0


def test_waiting_is_the_default(aws):
    aws.set_nat_transition("manual", times=2)

    built = network(aws)

    assert built["pending_nat_gateways"] == []
    assert built["audit"]["summary"]["errors"] == 0


def test_returns_the_states_when_its_time_is_up_and_all_available_later(aws):
    aws.set_nat_transition("manual", times=4)
    nat_ids = network(aws, wait_for_nat_gateways=False)["network"]["nat_gateway_ids"]

    with aws.recording() as rec:
        first = nat_wait(aws, nat_ids, timeout=0)

    assert not first.get("failed"), first.get("msg")
    assert (first["changed"], first["available"]) == (False, False)
    assert [(nat["nat_gateway_id"], nat["state"]) for nat in first["nat_gateways"]] == [
        (nat_id, "pending") for nat_id in nat_ids
    ]
    assert all(nat["subnet_id"].startswith("subnet-") for nat in first["nat_gateways"])
    assert rec.actions == ["DescribeNatGateways"]  # one call per poll covers every NAT gateway

    later = nat_wait(aws, nat_ids, timeout=60)

    assert later["available"] is True
    assert [nat["state"] for nat in later["nat_gateways"]] == ["available", "available"]


def test_a_nat_gateway_failing_while_waited_for_fails_at_once_with_its_failure_code(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    allocation_id = ec2.allocate_address(Domain="vpc")["AllocationId"]
    # No internet gateway: AWS fails this NAT gateway once it leaves pending.
    doomed = ec2.create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation_id)["NatGateway"]["NatGatewayId"]

    with aws.recording() as rec:
        result = nat_wait(aws, [doomed], timeout=300)

    assert result["failed"] is True
    assert f"NAT gateway {doomed} in subnet {subnet_id} failed: Gateway.NotAttached" in result["msg"]
    assert (result["failure_code"], result["nat_gateway_id"]) == ("Gateway.NotAttached", doomed)
    assert rec.count("DescribeNatGateways") == 2  # pending, failed: no polling until the timeout


def test_malformed_ids_and_timeouts_are_refused_before_any_call(aws):
    with aws.recording() as rec:
        malformed = nat_wait(aws, ["subnet-0123456789abcdef0"])
        negative = nat_wait(aws, ["nat-0123456789abcdef0"], timeout=-1)
        empty = nat_wait(aws, [])

    assert malformed["msg"].startswith("nat_gateway_ids: 'subnet-0123456789abcdef0' is not a nat id")
    assert negative["msg"] == "timeout: must be 0 or more seconds"
    assert empty["msg"] == "nat_gateway_ids: give at least one NAT gateway id"
    assert rec.actions == []
