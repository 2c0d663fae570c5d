"""Routing facts: which table governs a subnet, and whether its default route still leads anywhere."""

from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing

VPC = "vpc-1"
MAIN = {"RouteTableId": "rtb-main", "VpcId": VPC, "Associations": [{"Main": True}], "Routes": []}
OTHER_VPC_MAIN = {"RouteTableId": "rtb-x", "VpcId": "vpc-2", "Associations": [{"Main": True}], "Routes": []}
ATTACHED_IGW = {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": VPC, "State": "available"}]}


def table(table_id, subnet_id, route):
    return {
        "RouteTableId": table_id,
        "VpcId": VPC,
        "Associations": [{"SubnetId": subnet_id, "RouteTableAssociationId": f"rtbassoc-{table_id}"}],
        "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}, route],
    }


def igw_route(state="active"):
    return {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": state}


def nat_route(state="active"):
    return {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": state}


def test_explicit_association_wins_over_main_table():
    public = table("rtb-pub", "subnet-a", igw_route())
    assert routing.effective_route_table("subnet-a", VPC, [MAIN, public]) is public


def test_unassociated_subnet_uses_main_table_of_its_own_vpc_only():
    assert routing.effective_route_table("subnet-b", VPC, [OTHER_VPC_MAIN, MAIN]) is MAIN
    assert routing.effective_route_table("subnet-b", VPC, [OTHER_VPC_MAIN]) is None


def test_route_targets():
    assert routing.route_target(igw_route()) == ("internet_gateway", "igw-1")
    assert routing.route_target(nat_route()) == ("nat_gateway", "nat-1")
    assert routing.route_target({"GatewayId": "vgw-9"}) == ("other", "vgw-9")
    assert routing.route_target({"TransitGatewayId": "tgw-9"}) == ("other", "tgw-9")


def test_healthy_routes_have_no_problem():
    assert routing.route_problem(igw_route(), VPC, {"igw-1": ATTACHED_IGW}, {}) is None
    nats = {"nat-1": {"NatGatewayId": "nat-1", "State": "available"}}
    assert routing.route_problem(nat_route(), VPC, {}, nats) is None


def test_blackhole_detached_igw_and_missing_route_are_problems():
    assert routing.route_problem(None, VPC, {}, {}) == "no default route"
    assert "blackhole" in routing.route_problem(igw_route("blackhole"), VPC, {"igw-1": ATTACHED_IGW}, {})
    detached = {"InternetGatewayId": "igw-1", "Attachments": []}
    assert (
        routing.route_problem(igw_route(), VPC, {"igw-1": detached}, {})
        == "internet gateway igw-1 is not attached to vpc-1"
    )
    assert routing.route_problem(igw_route(), VPC, {}, {}) == "internet gateway igw-1 is not attached to vpc-1"


def test_route_to_dead_nat_is_a_problem_even_when_reported_active():
    failed = {"NatGatewayId": "nat-1", "State": "failed", "FailureCode": "Gateway.NotAttached", "FailureMessage": "m"}
    assert routing.route_problem(nat_route("active"), VPC, {}, {"nat-1": failed}) == (
        "NAT gateway nat-1 failed (Gateway.NotAttached: m)"
    )
    deleted = {"NatGatewayId": "nat-1", "State": "deleted"}
    assert routing.route_problem(nat_route("active"), VPC, {}, {"nat-1": deleted}) == "NAT gateway nat-1 deleted"
    assert routing.route_problem(nat_route(), VPC, {}, {}) == "NAT gateway nat-1 does not exist"


def test_public_subnet_needs_default_route_to_attached_igw():
    public = table("rtb-pub", "subnet-a", igw_route())
    private = table("rtb-priv", "subnet-b", nat_route())
    igws = {"igw-1": ATTACHED_IGW}
    assert routing.reaches_internet_gateway("subnet-a", VPC, [MAIN, public, private], igws)
    assert not routing.reaches_internet_gateway("subnet-b", VPC, [MAIN, public, private], igws)
    assert not routing.reaches_internet_gateway("subnet-c", VPC, [MAIN, public, private], igws)
    assert not routing.reaches_internet_gateway("subnet-a", VPC, [MAIN, public], {})
