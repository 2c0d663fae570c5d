"""Switching NAT mode (per_az, single, regional, none) with the network module keeps private subnets' egress throughout.

New NAT gateways are created and waited for, each private default route is moved with ReplaceRoute once its new
gateway is available, and only then are the old gateways deleted and their addresses released (egress_gap.py
proves it from the recorded calls). A first build keeps its fast path (routes point at pending gateways at once).
With wait_for_nat_gateways false (the role) the routes wait in ``pending_routes`` and the run after the wait moves
them; a switch interrupted after any of its changes is finished by the next run.

New NAT gateways are pending until the first DescribeNatGateways that includes them (manual transition, 1 describe):
a run that routed to one before looking would be caught.
"""

import pytest
from support import egress_gap
from support.aws_proxy import AwsProxy, Crash
from support.egress_gap import assert_no_egress_gap, egress_snapshot
from support.module_runner import run_module

NETWORK = "switch"
OURS = [{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}]
# A rerun with nothing to do makes the calls of the default per_az network's (test_network_module.py): with single,
# the absence of a NAT gateway in the other zone is answered from the run's first reading of the VPC.
NOOP_CALLS = 12


def run(aws, check_mode=False, endpoint_url=None, **params):
    settings = {**aws.module_params(), "network_name": NETWORK, "audit_fail_on": "warning", **params}
    if endpoint_url:
        settings["endpoint_url"] = endpoint_url
    return run_module("network", settings, check_mode=check_mode)


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def live_nat_ids(ec2):
    live = [{"Name": "state", "Values": ["pending", "available"]}]
    return sorted(nat["NatGatewayId"] for nat in ec2.describe_nat_gateways(Filter=OURS + live)["NatGateways"])


def private_tables(ec2):
    """``{table name: table}`` of the network's private route tables."""
    return {
        name: table
        for table in ec2.describe_route_tables(Filters=OURS)["RouteTables"]
        for name in [next(tag["Value"] for tag in table["Tags"] if tag["Key"] == "cloudreactor:table")]
        if name.startswith("private-")
    }


def private_routes(ec2):
    """``{table name: NAT gateway of its default route}`` of the network's private route tables."""
    return {
        name: next(route for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0").get(
            "NatGatewayId"
        )
        for name, table in private_tables(ec2).items()
    }


def switch(aws, ec2, mode, **params):
    """Run the module with ``nat_gateways=mode``; assert from its recorded calls that no egress was lost."""
    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as rec:
        result = ok(run(aws, nat_gateways=mode, **params))
    assert_no_egress_gap(before, rec)
    return result, rec


NOTHING_LEFT = {"nat_gateways": [], "idle_addresses": [], "addresses": 0}


def left_behind(ec2, network_result):
    """The network's NAT gateways and addresses beyond those the result names: what a switch must not leave."""
    nat_ids = set(network_result["network"]["nat_gateway_ids"])
    addresses = ec2.describe_addresses(Filters=OURS)["Addresses"]
    return {
        "nat_gateways": sorted(set(live_nat_ids(ec2)) - nat_ids),
        "idle_addresses": sorted(address["AllocationId"] for address in addresses if not address.get("AssociationId")),
        "addresses": len(addresses) - len(nat_ids),
    }


@pytest.fixture
def per_az(aws, ec2):
    built = ok(run(aws, nat_gateways="per_az"))
    aws.set_nat_transition("manual", times=1)
    return built


def test_per_az_to_single_to_per_az_keeps_egress(aws, ec2, per_az):
    nat_a, nat_b = per_az["network"]["nat_gateway_ids"]

    single, rec = switch(aws, ec2, "single")
    assert single["network"]["nat_gateway_ids"] == [nat_a]
    assert private_routes(ec2) == {"private-us-east-1a": nat_a, "private-us-east-1b": nat_a}
    assert left_behind(ec2, single) == NOTHING_LEFT
    assert rec.mutations == ["ReplaceRoute", "DeleteNatGateway", "ReleaseAddress"]

    back, rec = switch(aws, ec2, "per_az")
    nat_b2 = back["network"]["nat_gateway_ids"][1]
    assert nat_b2 not in (nat_a, nat_b)
    assert private_routes(ec2) == {"private-us-east-1a": nat_a, "private-us-east-1b": nat_b2}
    assert left_behind(ec2, back) == NOTHING_LEFT
    assert back["changes"] == [
        "created NAT gateway in us-east-1b",
        f"waited for NAT gateway {nat_b2} in us-east-1b to become available",
        f"route table private-us-east-1b: replaced default route 0.0.0.0/0: {nat_a} (not the requested target) "
        f"-> {nat_b2}",
    ]
    assert back["audit"]["summary"] == {**back["audit"]["summary"], "errors": 0, "warnings": 0}
    assert ok(run(aws, nat_gateways="per_az"))["changed"] is False


def test_per_az_to_regional_and_back_without_waiting_keeps_egress(aws, ec2, per_az):
    regional, rec = switch(aws, ec2, "regional")
    (nat_r,) = regional["network"]["nat_gateway_ids"]
    assert private_routes(ec2) == {"private-us-east-1a": nat_r, "private-us-east-1b": nat_r}
    assert live_nat_ids(ec2) == [nat_r]
    assert ec2.describe_addresses(Filters=OURS)["Addresses"] == []  # automatic mode: AWS's addresses, none of ours
    assert f"waited for regional NAT gateway {nat_r} to become available" in regional["changes"]
    assert rec.mutations[:3] == ["CreateNatGateway", "ReplaceRoute", "ReplaceRoute"]
    assert sorted(rec.mutations[3:]) == ["DeleteNatGateway"] * 2 + ["ReleaseAddress"] * 2

    # Back as the role does it: a run that does not wait, then the run after the wait.
    aws.set_nat_transition("manual", times=3)  # still pending after the first run and one more describe
    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as rec:
        first = ok(run(aws, nat_gateways="per_az", wait_for_nat_gateways=False))
        assert [route["current_target"] for route in first["pending_routes"]] == [nat_r, nat_r]
        assert nat_r in live_nat_ids(ec2)  # the regional gateway stays while routes wait on it
        back = ok(run(aws, nat_gateways="per_az"))
    assert_no_egress_gap(before, rec)
    assert f"deleted regional NAT gateway {nat_r}" in back["changes"]
    nat_a, nat_b = back["network"]["nat_gateway_ids"]
    assert private_routes(ec2) == {"private-us-east-1a": nat_a, "private-us-east-1b": nat_b}
    assert left_behind(ec2, back) == NOTHING_LEFT


def test_a_switch_to_a_new_gateway_waits_for_it_and_check_mode_shows_that_plan(aws, ec2, per_az):
    nat_a, nat_b = per_az["network"]["nat_gateway_ids"]
    ec2.delete_nat_gateway(NatGatewayId=nat_a)  # the gateway single keeps must be new
    ec2.describe_nat_gateways(NatGatewayIds=[nat_a])  # deleted: private-us-east-1a has no egress, -1b has

    with aws.recording() as rec:
        plan = ok(run(aws, check_mode=True, nat_gateways="single"))
    assert rec.mutations == []
    assert plan["changes"][:5] == [
        "created NAT gateway in us-east-1a",
        f"route table private-us-east-1a: replaced default route 0.0.0.0/0: {nat_a} (NAT gateway {nat_a} deleted) "
        "-> (new NAT gateway in us-east-1a)",
        "wait for new NAT gateway in us-east-1a to become available",
        f"route table private-us-east-1b: replaced default route 0.0.0.0/0: {nat_b} (not the requested target) "
        "-> (new NAT gateway in us-east-1a)",
        f"deleted NAT gateway {nat_b}",
    ]
    assert plan["changes"][5].startswith("released Elastic IP eipalloc-")

    done, rec = switch(aws, ec2, "single")
    assert rec.mutations == ["CreateNatGateway", "ReplaceRoute", "ReplaceRoute", "DeleteNatGateway", "ReleaseAddress"]
    (nat_new,) = done["network"]["nat_gateway_ids"]
    assert private_routes(ec2) == {"private-us-east-1a": nat_new, "private-us-east-1b": nat_new}
    assert left_behind(ec2, done) == NOTHING_LEFT
    planned = [
        line.replace("(new NAT gateway in us-east-1a)", nat_new).replace(
            "wait for new NAT gateway", f"waited for NAT gateway {nat_new}"
        )
        for line in plan["changes"]
    ]
    assert done["changes"] == planned


def test_without_waiting_routes_keep_their_gateway_until_the_run_after_the_wait(aws, ec2, per_az):
    nat_a, nat_b = per_az["network"]["nat_gateway_ids"]
    ec2.delete_nat_gateway(NatGatewayId=nat_a)
    ec2.describe_nat_gateways(NatGatewayIds=[nat_a])
    aws.set_nat_transition("manual", times=3)  # still pending after the run and one more describe

    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as rec:
        first = ok(run(aws, nat_gateways="single", wait_for_nat_gateways=False))
        (nat_a2,) = first["network"]["nat_gateway_ids"]
        assert first["pending_nat_gateways"] == [
            {
                "nat_gateway_id": nat_a2,
                "availability_zone": "us-east-1a",
                "subnet_id": first["network"]["public_subnet_ids"][0],
                "state": "pending",
            }
        ]
        assert first["pending_routes"] == [
            {"route_table": "private-us-east-1b", "current_target": nat_b, "next_nat_gateway_id": nat_a2}
        ]
        assert private_routes(ec2) == {"private-us-east-1a": nat_a2, "private-us-east-1b": nat_b}
        assert nat_b in live_nat_ids(ec2)
        second = ok(run(aws, nat_gateways="single", wait_for_nat_gateways=True))
    assert_no_egress_gap(before, rec)
    assert second["pending_routes"] == []
    assert private_routes(ec2) == {"private-us-east-1a": nat_a2, "private-us-east-1b": nat_a2}
    assert left_behind(ec2, second) == NOTHING_LEFT


@pytest.mark.parametrize("crash_after", ["CreateNatGateway", "ReplaceRoute", "DeleteNatGateway"])
def test_an_interrupted_switch_is_finished_by_the_next_run(aws, ec2, per_az, crash_after):
    nat_a, nat_b = per_az["network"]["nat_gateway_ids"]
    ec2.delete_nat_gateway(NatGatewayId=nat_a)
    ec2.describe_nat_gateways(NatGatewayIds=[nat_a])
    # A clean switch makes: CreateNatGateway ReplaceRoute ReplaceRoute DeleteNatGateway ReleaseAddress.
    count = ["CreateNatGateway", "ReplaceRoute", "ReplaceRoute", "DeleteNatGateway"].index(crash_after) + 1

    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as rec:
        with AwsProxy(aws.endpoint_url, Crash(count)) as proxy:
            # Its claim cannot be given back through the dead proxy: the rerun takes it over once its lease runs out.
            crashed = run(aws, nat_gateways="single", endpoint_url=proxy.endpoint_url, claim_lease=1)
        assert crashed.get("failed") and proxy.crashed_on == crash_after
        rerun = ok(run(aws, nat_gateways="single"))
    assert_no_egress_gap(before, rec)
    (nat_a2,) = rerun["network"]["nat_gateway_ids"]
    assert private_routes(ec2) == {"private-us-east-1a": nat_a2, "private-us-east-1b": nat_a2}
    assert left_behind(ec2, rerun) == NOTHING_LEFT
    with aws.recording() as rec:
        assert ok(run(aws, nat_gateways="single"))["changed"] is False
    assert (rec.mutations, len(rec.actions)) == ([], NOOP_CALLS), sorted(rec.actions)


def first_route_before_available(rec):
    """True when the run pointed a private route at a NAT gateway before any NAT gateway became available."""
    first_route = next(
        index
        for index, call in enumerate(rec.calls)
        if call.action in ("CreateRoute", "ReplaceRoute") and "NatGatewayId" in call.params
    )
    first_available = next(index for index, event in enumerate(rec.calls) if '"new_state": "available"' in event.body)
    return first_route < first_available


def test_none_to_per_az_and_back_and_again(aws, ec2):
    ok(run(aws, nat_gateways="none"))
    aws.set_nat_transition("manual", times=1)

    built, rec = switch(aws, ec2, "per_az")
    # No egress to lose: the private routes point at the new gateways while they are still pending (a first build).
    assert not any(line.startswith("waited for") for line in built["changes"])
    assert first_route_before_available(rec)
    assert sorted(private_routes(ec2).values()) == sorted(built["network"]["nat_gateway_ids"])
    assert left_behind(ec2, built) == NOTHING_LEFT

    # To none: the NAT gateways and their addresses go; the private subnets and their tables stay, for a switch back.
    public = ok(run(aws, nat_gateways="none"))
    assert live_nat_ids(ec2) == [] and left_behind(ec2, public) == NOTHING_LEFT
    assert public["network"]["task_subnet_ids"] == public["network"]["public_subnet_ids"]
    assert len(ec2.describe_subnets(SubnetIds=built["network"]["private_subnet_ids"])["Subnets"]) == 2
    dead_routes = [
        route["State"]
        for table in private_tables(ec2).values()
        for route in table["Routes"]
        if route.get("DestinationCidrBlock") == "0.0.0.0/0"
    ]
    assert dead_routes == ["blackhole", "blackhole"]

    # Back to per_az: the dead routes are replaced in place, at once (still nothing to lose).
    again, rec = switch(aws, ec2, "per_az")
    assert again["network"]["private_subnet_ids"] == built["network"]["private_subnet_ids"]
    assert first_route_before_available(rec)
    assert sorted(private_routes(ec2).values()) == sorted(again["network"]["nat_gateway_ids"])
    assert left_behind(ec2, again) == NOTHING_LEFT


def test_the_helper_sees_a_route_moved_to_a_pending_gateway_and_a_gateway_deleted_under_a_route(
    aws, ec2, per_az, tmp_path, capsys
):
    nat_a, _nat_b = per_az["network"]["nat_gateway_ids"]
    table_b = private_tables(ec2)["private-us-east-1b"]["RouteTableId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    # As the Molecule scenario switch_modes runs it: from the command line, around calls made by someone else.
    watch = ["--endpoint-url", aws.endpoint_url, "--state-file", str(tmp_path / "watch.json"), "--network", NETWORK]
    assert egress_gap.main(["begin", *watch]) == 0
    public_a = per_az["network"]["public_subnet_ids"][0]
    pending = ec2.create_nat_gateway(SubnetId=public_a, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    ec2.replace_route(RouteTableId=table_b, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=pending)
    ec2.delete_nat_gateway(NatGatewayId=nat_a)
    capsys.readouterr()

    assert egress_gap.main(["check", *watch]) == 1
    summary, *gaps = capsys.readouterr().out.splitlines()
    assert summary.endswith("2 gaps"), summary
    assert f"to {pending} (pending): ReplaceRoute" in gaps[0]
    assert f"still routes to {nat_a}, which DeleteNatGateway deletes" in gaps[1]
