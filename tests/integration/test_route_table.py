"""cloudreactor.aws.route_table against the emulator: found by tags, default route repaired in place, subnets moved,
routes it does not own kept, every input checked before the first change."""

from types import SimpleNamespace

import pytest
from support.aws_proxy import AwsProxy
from support.module_runner import run_module

NETWORK = "tasks-test"
DEFAULT = "0.0.0.0/0"
UNKNOWN_NAT = "nat-0123456789abcdef0"


def tag_spec(resource_type, tags):
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def tags_dict(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags") or []}


def warnings_of(result):
    """Warning texts (ansible-core 2.19 reports each warning as a structured event)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


@pytest.fixture
def net(ec2):
    """A VPC with an attached IGW, a public subnet routed to it (for NATs), a subnet with no way out (NATs there
    fail) and two private subnets."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    def subnet(cidr, zone="us-east-1a"):
        return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]

    public, isolated = subnet("10.0.0.0/24"), subnet("10.0.1.0/24")
    private_a, private_b = subnet("10.0.2.0/24"), subnet("10.0.3.0/24", "us-east-1b")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    # Built by someone else: the public subnet's table (so NATs there become available).
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock=DEFAULT, GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    return SimpleNamespace(
        vpc=vpc,
        igw=igw,
        public=public,
        isolated=isolated,
        private_a=private_a,
        private_b=private_b,
        public_rtb=public_rtb,
    )


def create_nat(ec2, subnet):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]


def nat_state(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def settled_nat(ec2, subnet, expected):
    """A NAT gateway in ``subnet`` that has reached ``expected`` (the emulator moves it on at the first describe)."""
    nat_id = create_nat(ec2, subnet)
    assert nat_state(ec2, nat_id) == expected
    return nat_id


def deleted_nat(ec2, subnet):
    nat_id = settled_nat(ec2, subnet, "available")
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert nat_state(ec2, nat_id) == "deleted"
    return nat_id


def run(aws, check_mode=False, diff=False, **params):
    return run_module(
        "route_table",
        {**aws.module_params(), "network_name": NETWORK, **params},
        check_mode=check_mode,
        diff=diff,
    )


def table(ec2, table_id):
    return ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]


def tables_of(ec2, vpc):
    return ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]


def default_route_of(ec2, table_id):
    return next(r for r in table(ec2, table_id)["Routes"] if r.get("DestinationCidrBlock") == DEFAULT)


def associated_subnets(ec2, table_id):
    return sorted(a["SubnetId"] for a in table(ec2, table_id)["Associations"] if a.get("SubnetId"))


def private_table_to(aws, net, nat_id, **params):
    result = run(aws, vpc_id=net.vpc, name="private-a", nat_gateway_id=nat_id, subnet_ids=[net.private_a], **params)
    assert not result.get("failed"), result
    return result


# -- create, rerun ---------------------------------------------------------------------------------------------


def test_creates_table_with_igw_default_route_and_associations(aws, ec2, net):
    with aws.recording() as rec:
        result = run(
            aws,
            vpc_id=net.vpc,
            name="public",
            internet_gateway_id=net.igw,
            subnet_ids=[net.private_a, net.private_b],
            tags={"team": "platform"},
        )

    assert not result.get("failed"), result
    assert result["changed"] is True
    rtb = table(ec2, result["route_table_id"])
    assert tags_dict(rtb) == {
        "cloudreactor:network": NETWORK,
        "cloudreactor:component": "route-table",
        "cloudreactor:table": "public",
        "Name": f"{NETWORK}-public",
        "team": "platform",
    }
    assert default_route_of(ec2, rtb["RouteTableId"])["GatewayId"] == net.igw
    assert associated_subnets(ec2, rtb["RouteTableId"]) == sorted([net.private_a, net.private_b])
    assert result["associations"] == {
        a["SubnetId"]: a["RouteTableAssociationId"] for a in rtb["Associations"] if a.get("SubnetId")
    }
    assert {"destination": DEFAULT, "target": net.igw, "state": "active"} in result["routes"]
    assert {"destination": "10.0.0.0/16", "target": "local", "state": "active"} in result["routes"]
    assert rec.mutations == ["CreateRouteTable", "CreateRoute", "AssociateRouteTable", "AssociateRouteTable"]
    assert result["actions"][1:] == [
        f"created default route {DEFAULT} -> {net.igw}",
        f"associated {net.private_a}",
        f"associated {net.private_b}",
    ]


def test_rerun_is_a_noop_with_few_reads(aws, ec2, net):
    params = dict(vpc_id=net.vpc, name="public", internet_gateway_id=net.igw, subnet_ids=[net.private_a])
    first = run(aws, **params)

    with aws.recording() as rec:
        second = run(aws, **params)

    assert second["changed"] is False
    assert second["actions"] == []
    assert second["route_table_id"] == first["route_table_id"]
    assert second["associations"] == first["associations"]
    assert rec.mutations == []
    assert sorted(rec.reads) == ["DescribeInternetGateways", "DescribeRouteTables", "DescribeSubnets", "DescribeVpcs"]


def test_table_without_default_route_and_new_tag(aws, ec2, net):
    first = run(aws, vpc_id=net.vpc, name="isolated")
    assert first["changed"] is True
    assert [r["destination"] for r in first["routes"]] == ["10.0.0.0/16"]

    with aws.recording() as rec:
        second = run(aws, vpc_id=net.vpc, name="isolated", tags={"team": "data"})

    assert second["actions"] == ["updated tags"]
    assert rec.mutations == ["CreateTags"]
    assert tags_dict(table(ec2, first["route_table_id"]))["team"] == "data"


# -- default route repairs -------------------------------------------------------------------------------------


def test_blackhole_route_repaired_in_place(aws, ec2, net):
    created = run(aws, vpc_id=net.vpc, name="public", internet_gateway_id=net.igw)
    table_id = created["route_table_id"]
    # The gateway is replaced: the old route now goes nowhere.
    ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    ec2.delete_internet_gateway(InternetGatewayId=net.igw)
    new_igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=new_igw, VpcId=net.vpc)
    assert default_route_of(ec2, table_id)["State"] == "blackhole"

    with aws.recording() as rec:
        result = run(aws, vpc_id=net.vpc, name="public", internet_gateway_id=new_igw)

    assert result["changed"] is True
    assert result["route_table_id"] == table_id
    assert rec.mutations == ["ReplaceRoute"]
    assert result["actions"] == [
        f"replaced default route {DEFAULT}: {net.igw} (internet gateway {net.igw} is not attached to {net.vpc}) "
        f"-> {new_igw}"
    ]
    route = default_route_of(ec2, table_id)
    assert (route["GatewayId"], route["State"]) == (new_igw, "active")
    assert len(tables_of(ec2, net.vpc)) == 3  # main, the public subnet's, ours: no new table


def test_route_to_failed_nat_repaired(aws, ec2, net):
    good = settled_nat(ec2, net.public, "available")
    failed = settled_nat(ec2, net.isolated, "failed")
    table_id = private_table_to(aws, net, good)["route_table_id"]
    ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=DEFAULT, NatGatewayId=failed)

    with aws.recording() as rec:
        result = private_table_to(aws, net, good)

    assert rec.mutations == ["ReplaceRoute"]
    assert result["route_table_id"] == table_id
    (action,) = result["actions"]
    assert action.startswith(f"replaced default route {DEFAULT}: {failed} (NAT gateway {failed} failed (")
    assert "Gateway.NotAttached" in action
    assert action.endswith(f"-> {good}")
    route = default_route_of(ec2, table_id)
    assert (route["NatGatewayId"], route["State"]) == (good, "active")


def test_route_to_deleted_nat_repaired_even_when_reported_active(aws, ec2, net):
    dead = settled_nat(ec2, net.public, "available")
    table_id = private_table_to(aws, net, dead)["route_table_id"]
    ec2.delete_nat_gateway(NatGatewayId=dead)
    assert nat_state(ec2, dead) == "deleted"
    replacement = settled_nat(ec2, net.public, "available")

    # AWS can report a route to a NAT gateway deleted minutes ago as still active; the emulator reports blackhole.
    # Through the proxy the module sees what AWS would, so only the NAT gateway's own state can reveal the problem.
    blackholes = []

    def reported_active(body):
        blackholes.append(body.count(b"<state>blackhole</state>"))
        return body.replace(b"<state>blackhole</state>", b"<state>active</state>")

    proxy = AwsProxy(aws.endpoint_url, edit_answers={"DescribeRouteTables": reported_active})
    with proxy, aws.recording() as rec:
        result = private_table_to(aws, net, replacement, endpoint_url=proxy.endpoint_url)

    assert sum(blackholes) >= 1, "the module never saw the route AWS would still report active"
    assert rec.mutations == ["ReplaceRoute"]
    assert rec.count("DeleteRoute") == 0
    assert rec.count("CreateRoute") == 0
    assert result["route_table_id"] == table_id
    assert result["actions"] == [
        f"replaced default route {DEFAULT}: {dead} (NAT gateway {dead} deleted) -> {replacement}"
    ]
    assert default_route_of(ec2, table_id)["NatGatewayId"] == replacement


def test_route_to_other_target_replaced(aws, ec2, net):
    table_id = run(aws, vpc_id=net.vpc, name="private-a", internet_gateway_id=net.igw)["route_table_id"]
    nat = settled_nat(ec2, net.public, "available")

    with aws.recording() as rec:
        result = run(aws, vpc_id=net.vpc, name="private-a", nat_gateway_id=nat)

    assert rec.mutations == ["ReplaceRoute"]
    assert result["actions"] == [f"replaced default route {DEFAULT}: {net.igw} (not the requested target) -> {nat}"]
    route = default_route_of(ec2, table_id)
    assert route["NatGatewayId"] == nat
    assert "GatewayId" not in route or not route["GatewayId"].startswith("igw-")


def test_pending_nat_is_accepted(aws, ec2, net):
    aws.set_nat_transition("manual", times=5)
    nat = create_nat(ec2, net.public)
    assert nat_state(ec2, nat) == "pending"

    result = private_table_to(aws, net, nat)

    assert default_route_of(ec2, result["route_table_id"])["NatGatewayId"] == nat


def test_unmanaged_broken_default_route_is_reported(aws, ec2, net):
    dead = settled_nat(ec2, net.public, "available")
    table_id = private_table_to(aws, net, dead)["route_table_id"]
    ec2.delete_nat_gateway(NatGatewayId=dead)
    assert nat_state(ec2, dead) == "deleted"

    with aws.recording() as rec:
        result = run(aws, vpc_id=net.vpc, name="private-a", subnet_ids=[net.private_a])

    assert result["changed"] is False
    assert rec.mutations == []
    assert result["route_table_id"] == table_id
    assert any(dead in w and "nat_gateway_id" in w for w in warnings_of(result))


# -- associations ----------------------------------------------------------------------------------------------


def test_subnet_moved_off_another_table(aws, ec2, net):
    theirs = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=theirs, SubnetId=net.private_a)

    with aws.recording() as rec:
        result = run(aws, vpc_id=net.vpc, name="private-a", subnet_ids=[net.private_a, net.private_b])

    assert rec.count("ReplaceRouteTableAssociation") == 1
    assert rec.count("AssociateRouteTable") == 1  # private_b only
    assert f"moved {net.private_a} from {theirs}" in result["actions"]
    assert associated_subnets(ec2, result["route_table_id"]) == sorted([net.private_a, net.private_b])
    assert associated_subnets(ec2, theirs) == []
    assert result["associations"][net.private_a].startswith("rtbassoc-")


def test_purge_subnets_disassociates_unlisted(aws, ec2, net):
    params = dict(vpc_id=net.vpc, name="private")
    table_id = run(aws, subnet_ids=[net.private_a, net.private_b], **params)["route_table_id"]

    kept = run(aws, subnet_ids=[net.private_a], **params)
    assert kept["changed"] is False
    assert associated_subnets(ec2, table_id) == sorted([net.private_a, net.private_b])

    with aws.recording() as rec:
        purged = run(aws, subnet_ids=[net.private_a], purge_subnets=True, **params)
    assert rec.mutations == ["DisassociateRouteTable"]
    assert purged["actions"] == [f"disassociated {net.private_b}"]
    assert associated_subnets(ec2, table_id) == [net.private_a]
    assert list(purged["associations"]) == [net.private_a]


# -- routes the module does not own ----------------------------------------------------------------------------


def test_user_and_prefix_list_routes_kept_and_purge_spares_prefix_list(aws, ec2, net):
    params = dict(vpc_id=net.vpc, name="public", internet_gateway_id=net.igw)
    table_id = run(aws, **params)["route_table_id"]
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16", GatewayId=net.igw)
    ec2.create_vpc_endpoint(
        VpcId=net.vpc,
        ServiceName="com.amazonaws.us-east-1.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[table_id],
    )
    prefix_list = next(
        r["DestinationPrefixListId"] for r in table(ec2, table_id)["Routes"] if r.get("DestinationPrefixListId")
    )
    assert prefix_list.startswith("pl-")

    with aws.recording() as rec:
        kept = run(aws, **params)
    assert kept["changed"] is False
    assert rec.mutations == []
    assert {r["destination"] for r in kept["routes"]} == {"10.0.0.0/16", DEFAULT, "192.168.0.0/16", prefix_list}

    with aws.recording() as rec:
        purged = run(aws, purge_routes=True, **params)
    assert rec.mutations == ["DeleteRoute"]
    assert purged["actions"] == [f"deleted route 192.168.0.0/16 -> {net.igw}"]
    destinations = {
        r.get("DestinationCidrBlock") or r.get("DestinationPrefixListId") for r in table(ec2, table_id)["Routes"]
    }
    assert destinations == {"10.0.0.0/16", DEFAULT, prefix_list}
    assert {r["destination"] for r in purged["routes"]} == destinations


# -- validation before any change ------------------------------------------------------------------------------


def assert_refused(aws, ec2, net, option, fragment, **params):
    before = len(tables_of(ec2, net.vpc))
    with aws.recording() as rec:
        result = run(aws, vpc_id=net.vpc, name="private-a", **params)
    assert result["failed"] is True, result
    assert result["invalid_option"] == option
    assert result["msg"].startswith(f"{option}:")
    assert fragment in result["msg"]
    assert rec.mutations == []
    assert len(tables_of(ec2, net.vpc)) == before
    return rec


def test_subnet_in_another_vpc_refused(aws, ec2, net):
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    assert_refused(aws, ec2, net, "subnet_ids", f"{foreign} is in {other_vpc}", subnet_ids=[net.private_a, foreign])


def test_unknown_subnet_refused(aws, ec2, net):
    assert_refused(aws, ec2, net, "subnet_ids", "subnet-0123456789abcdef0", subnet_ids=["subnet-0123456789abcdef0"])


def test_nat_in_another_vpc_refused(aws, ec2, net):
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    nat = create_nat(ec2, other_subnet)
    assert_refused(aws, ec2, net, "nat_gateway_id", f"is in {other_vpc}", nat_gateway_id=nat)


def test_failed_or_unknown_nat_refused(aws, ec2, net):
    failed = settled_nat(ec2, net.isolated, "failed")
    assert_refused(aws, ec2, net, "nat_gateway_id", "Gateway.NotAttached", nat_gateway_id=failed)
    assert_refused(aws, ec2, net, "nat_gateway_id", "does not exist", nat_gateway_id=UNKNOWN_NAT)
    dead = deleted_nat(ec2, net.public)
    assert_refused(aws, ec2, net, "nat_gateway_id", "deleted", nat_gateway_id=dead)


def test_igw_not_attached_to_vpc_refused(aws, ec2, net):
    loose = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert_refused(aws, ec2, net, "internet_gateway_id", "not to", internet_gateway_id=loose)
    assert_refused(aws, ec2, net, "internet_gateway_id", "does not exist", internet_gateway_id="igw-0123456789abcdef0")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("vpc_id", "vpc-xyz"),
        ("subnet_ids", ["subnet-12"]),
        ("internet_gateway_id", "nat-0123456789abcdef0"),
        ("nat_gateway_id", "igw-0123456789abcdef0"),
        ("name", " "),
    ],
)
def test_malformed_input_refused_without_any_call(aws, net, option, value):
    params = {"vpc_id": net.vpc, "name": "private-a", option: value}
    with aws.recording() as rec:
        result = run(aws, **params)
    assert result["failed"] is True
    assert result["invalid_option"] == option
    assert rec.actions == []


def test_both_targets_refused(aws, net):
    result = run(aws, vpc_id=net.vpc, name="x", internet_gateway_id=net.igw, nat_gateway_id=UNKNOWN_NAT)
    assert result["failed"] is True
    assert "mutually exclusive" in result["msg"]


def test_unknown_vpc_refused(aws, ec2):
    with aws.recording() as rec:
        result = run(aws, vpc_id="vpc-0123456789abcdef0", name="public")
    assert result["failed"] is True
    assert result["invalid_option"] == "vpc_id"
    assert rec.mutations == []


# -- check mode and diff ---------------------------------------------------------------------------------------


def test_check_mode_changes_nothing_and_reports_the_same_actions(aws, ec2, net):
    params = dict(vpc_id=net.vpc, name="public", internet_gateway_id=net.igw, subnet_ids=[net.private_a])
    with aws.recording() as rec:
        planned = run(aws, check_mode=True, diff=True, **params)
    assert planned["changed"] is True
    assert planned["route_table_id"] is None
    assert rec.mutations == []
    assert len(tables_of(ec2, net.vpc)) == 2
    assert planned["associations"] == {net.private_a: None}
    assert planned["diff"]["after"]["subnet_ids"] == [net.private_a]
    assert {"destination": DEFAULT, "target": net.igw, "state": "active"} in planned["diff"]["after"]["routes"]

    done = run(aws, diff=True, **params)
    assert done["actions"][1:] == planned["actions"][1:]
    assert done["routes"] == planned["routes"]
    assert {k: v for k, v in done["diff"]["after"].items() if k != "route_table_id"} == {
        k: v for k, v in planned["diff"]["after"].items() if k != "route_table_id"
    }


def test_check_mode_repair_plans_exactly_the_real_repair(aws, ec2, net):
    old = settled_nat(ec2, net.public, "available")
    table_id = private_table_to(aws, net, old)["route_table_id"]
    ec2.delete_nat_gateway(NatGatewayId=old)
    assert nat_state(ec2, old) == "deleted"
    new = settled_nat(ec2, net.public, "available")

    with aws.recording() as rec:
        real = private_table_to(aws, net, new, purge_subnets=True)
    assert rec.mutations == ["ReplaceRoute"]

    # Back to the broken route: check mode must plan exactly what the real run did, and do none of it.
    ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock=DEFAULT, NatGatewayId=old)
    with aws.recording() as rec:
        checked = run(
            aws,
            check_mode=True,
            vpc_id=net.vpc,
            name="private-a",
            nat_gateway_id=new,
            subnet_ids=[net.private_a],
            purge_subnets=True,
        )
    assert rec.mutations == []
    assert checked["changed"] is True
    assert checked["actions"] == real["actions"]
    assert default_route_of(ec2, table_id)["NatGatewayId"] == old


def test_diff_shows_route_before_and_after(aws, ec2, net):
    table_id = run(aws, vpc_id=net.vpc, name="private-a", internet_gateway_id=net.igw)["route_table_id"]
    nat = settled_nat(ec2, net.public, "available")

    result = run(aws, diff=True, vpc_id=net.vpc, name="private-a", nat_gateway_id=nat, subnet_ids=[net.private_b])

    local = {"destination": "10.0.0.0/16", "target": "local", "state": "active"}
    assert result["diff"] == {
        "before": {
            "route_table_id": table_id,
            "routes": [local, {"destination": DEFAULT, "target": net.igw, "state": "active"}],
            "subnet_ids": [],
        },
        "after": {
            "route_table_id": table_id,
            "routes": [local, {"destination": DEFAULT, "target": nat, "state": "active"}],
            "subnet_ids": [net.private_b],
        },
    }


# -- duplicates (runs that raced; tests/reliability/test_duplicate_route_tables.py has the network's) -------------


def duplicate(ec2, net, name):
    identity = {"cloudreactor:network": NETWORK, "cloudreactor:component": "route-table", "cloudreactor:table": name}
    return ec2.create_route_table(VpcId=net.vpc, TagSpecifications=tag_spec("route-table", identity))["RouteTable"][
        "RouteTableId"
    ]


def test_duplicates_that_hold_something_else_are_named_and_nothing_changes(aws, ec2, net):
    run(aws, vpc_id=net.vpc, name="private-a", subnet_ids=[net.private_a])
    main, holding = duplicate(ec2, net, "private-a"), duplicate(ec2, net, "private-a")
    ec2.associate_route_table(RouteTableId=holding, SubnetId=net.isolated)
    (vpc_main,) = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [net.vpc]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    (association,) = [item for item in vpc_main["Associations"] if item.get("Main")]
    ec2.replace_route_table_association(AssociationId=association["RouteTableAssociationId"], RouteTableId=main)

    with aws.recording() as rec:
        refused = run(aws, vpc_id=net.vpc, name="private-a", subnet_ids=[net.private_a])
        absent = run(aws, vpc_id=net.vpc, name="private-a", state="absent")

    assert refused.get("failed")
    assert f"{main} held by the main association of {net.vpc}" in refused["msg"]
    assert f"{holding} held by subnet {net.isolated}" in refused["msg"]
    assert absent.get("failed") and main in absent["msg"] and "main route table" in absent["msg"]
    assert rec.mutations == []


# -- absent ----------------------------------------------------------------------------------------------------


def test_absent_deletes_only_ours(aws, ec2, net):
    ours = run(aws, vpc_id=net.vpc, name="private-a", subnet_ids=[net.private_a])["route_table_id"]
    sibling = run(aws, vpc_id=net.vpc, name="private-b", subnet_ids=[net.private_b])["route_table_id"]
    lookalike = ec2.create_route_table(
        VpcId=net.vpc, TagSpecifications=tag_spec("route-table", {"Name": f"{NETWORK}-private-a"})
    )["RouteTable"]["RouteTableId"]
    other_network = ec2.create_route_table(
        VpcId=net.vpc,
        TagSpecifications=tag_spec(
            "route-table",
            {
                "cloudreactor:network": "other",
                "cloudreactor:component": "route-table",
                "cloudreactor:table": "private-a",
            },
        ),
    )["RouteTable"]["RouteTableId"]

    with aws.recording() as rec:
        result = run(aws, diff=True, vpc_id=net.vpc, name="private-a", state="absent")

    assert result["changed"] is True
    assert rec.mutations == ["DisassociateRouteTable", "DeleteRouteTable"]
    remaining = {t["RouteTableId"] for t in tables_of(ec2, net.vpc)}
    assert ours not in remaining
    assert {sibling, lookalike, other_network, net.public_rtb} <= remaining
    assert result["diff"]["before"]["subnet_ids"] == [net.private_a]
    assert result["diff"]["after"] == {"route_table_id": None, "routes": [], "subnet_ids": []}

    with aws.recording() as rec:
        again = run(aws, vpc_id=net.vpc, name="private-a", state="absent")
    assert again["changed"] is False
    assert rec.mutations == []


def test_absent_takes_the_table_off_gateway_endpoints_and_check_mode_changes_nothing(aws, ec2, net):
    ours = run(aws, vpc_id=net.vpc, name="private-a", subnet_ids=[net.private_a])["route_table_id"]
    # Someone else's endpoint (no identity tags) lists the table: it is taken off too, not left with a stale id.
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=net.vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway", RouteTableIds=[ours]
    )["VpcEndpoint"]["VpcEndpointId"]
    expected = [
        f"disassociated {net.private_a}",
        f"took {ours} off S3 gateway endpoint {endpoint_id}, not network {NETWORK}'s",
        f"deleted route table {ours}",
    ]

    with aws.recording() as rec:
        planned = run(aws, check_mode=True, vpc_id=net.vpc, name="private-a", state="absent")
    assert (planned["changed"], planned["actions"], rec.mutations) == (True, expected, [])
    assert associated_subnets(ec2, ours) == [net.private_a]

    with aws.recording() as rec:
        result = run(aws, vpc_id=net.vpc, name="private-a", state="absent")
    assert result["actions"] == expected
    assert rec.mutations == ["DisassociateRouteTable", "ModifyVpcEndpoint", "DeleteRouteTable"]
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    assert ours not in endpoint["RouteTableIds"]
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])["Unsuccessful"] == []
