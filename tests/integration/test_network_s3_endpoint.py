"""The network's S3 gateway endpoint (s3_endpoint.py), through cloudreactor.aws.network and on its own.

Built on every route table of the network, repaired when a table loses it, left alone when not ours, removed when
turned off and on teardown; a create EC2 does not list yet is not made twice (ClientToken).
"""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from support.module_runner import run_module

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import s3_endpoint
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import PRESENT, Scope

NETWORK = "s3ep"
S3 = "com.amazonaws.us-east-1.s3"
# One zone, one NAT gateway: a public and a private route table, the least that shows both kinds of table.
SHAPE = {"nat_gateways": "single", "az_count": 1}


def run(aws, check_mode=False, **params):
    return run_module(
        "network", {**aws.module_params(), "network_name": NETWORK, **SHAPE, **params}, check_mode=check_mode
    )


def succeeded(result):
    assert not result.get("failed"), result.get("msg")
    return result


def our_tables(ec2, vpc_id):
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    tagged = [table for table in tables if {"Key": "cloudreactor:network", "Value": NETWORK} in table.get("Tags", [])]
    return {
        next(tag["Value"] for tag in table["Tags"] if tag["Key"] == "cloudreactor:table"): table for table in tagged
    }


def endpoint(ec2, endpoint_id):
    return ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]


def live_s3_endpoints(ec2, vpc_id):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "service-name", "Values": [S3]}]
    found = ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
    return sorted(item["VpcEndpointId"] for item in found if item["State"].lower() not in ("deleting", "deleted"))


def routes_to(table, endpoint_id):
    return [route for route in table["Routes"] if route.get("GatewayId") == endpoint_id]


@pytest.fixture
def built(aws):
    return succeeded(run(aws))


def test_built_on_every_route_table_of_the_network_and_audited(aws, ec2, built, tmp_path):
    network = built["network"]
    endpoint_id = network["s3_gateway_endpoint_id"]
    assert any(change.startswith(f"created S3 gateway endpoint {endpoint_id} on ") for change in built["changes"])
    described = endpoint(ec2, endpoint_id)
    assert (described["ServiceName"], described["VpcEndpointType"].lower()) == (S3, "gateway")
    tags = {tag["Key"]: tag["Value"] for tag in described["Tags"]}
    assert (tags["cloudreactor:network"], tags["cloudreactor:component"]) == (NETWORK, "s3-endpoint")
    tables = our_tables(ec2, network["vpc_id"])
    assert sorted(tables) == ["private-us-east-1a", "public"]
    assert sorted(described["RouteTableIds"]) == sorted(table["RouteTableId"] for table in tables.values())
    assert all(routes_to(table, endpoint_id) for table in tables.values())
    # The audit sees it on the task subnets' table, and its report lists it.
    (task_subnet,) = built["audit"]["subnets"]
    assert task_subnet["gateway_endpoints"] == [{"service": "s3", "vpc_endpoint_id": endpoint_id}]
    # A rerun changes nothing, and its report lists the endpoint.
    report = tmp_path / "report.md"
    with aws.recording() as rec:
        again = succeeded(run(aws, report_path=str(report)))
    assert (again["changed"], rec.mutations) == (False, [])
    assert again["network"]["s3_gateway_endpoint_id"] == endpoint_id
    assert endpoint_id in report.read_text().split("## Gateway endpoints", 1)[1]


def test_a_route_table_that_lost_the_endpoint_gets_it_back(aws, ec2, built):
    endpoint_id = built["network"]["s3_gateway_endpoint_id"]
    private_id = our_tables(ec2, built["network"]["vpc_id"])["private-us-east-1a"]["RouteTableId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, RemoveRouteTableIds=[private_id])
    assert not routes_to(our_tables(ec2, built["network"]["vpc_id"])["private-us-east-1a"], endpoint_id)
    expected = [f"associated S3 gateway endpoint {endpoint_id} with {private_id}"]

    with aws.recording() as rec:
        planned = succeeded(run(aws, check_mode=True))
    assert (planned["changes"], rec.mutations) == (expected, [])

    with aws.recording() as rec:
        repaired = succeeded(run(aws))
    assert repaired["changes"] == expected
    assert rec.mutations == ["ModifyVpcEndpoint"]
    assert private_id in endpoint(ec2, endpoint_id)["RouteTableIds"]
    assert routes_to(our_tables(ec2, built["network"]["vpc_id"])["private-us-east-1a"], endpoint_id)


def test_turned_off_ours_goes_and_others_stay_then_on_makes_a_new_one(aws, ec2, built):
    vpc_id = built["network"]["vpc_id"]
    endpoint_id = built["network"]["s3_gateway_endpoint_id"]
    their_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    theirs = ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=vpc_id, ServiceName=S3, RouteTableIds=[their_table]
    )["VpcEndpoint"]["VpcEndpointId"]

    with aws.recording() as rec:
        planned = succeeded(run(aws, check_mode=True, s3_gateway_endpoint=False))
    assert (planned["changes"], rec.mutations) == ([f"deleted S3 gateway endpoint {endpoint_id}"], [])
    off = succeeded(run(aws, s3_gateway_endpoint=False))
    assert off["changes"] == [f"deleted S3 gateway endpoint {endpoint_id}"]
    assert off["network"]["s3_gateway_endpoint_id"] is None
    assert live_s3_endpoints(ec2, vpc_id) == [theirs]
    with aws.recording() as rec:
        assert not succeeded(run(aws, s3_gateway_endpoint=False))["changed"]
    assert rec.mutations == []

    # On again with the same tables: the ClientToken of the first create now returns the deleted endpoint, which
    # is skipped for a new one.
    on = succeeded(run(aws))
    new_id = on["network"]["s3_gateway_endpoint_id"]
    assert new_id not in (None, endpoint_id)
    assert live_s3_endpoints(ec2, vpc_id) == sorted([theirs, new_id])
    assert endpoint(ec2, theirs)["RouteTableIds"] == [their_table]


def test_a_table_served_by_an_endpoint_not_ours_is_left_to_it(aws, ec2):
    vpc_id = succeeded(run(aws, s3_gateway_endpoint=False))["network"]["vpc_id"]
    tables = our_tables(ec2, vpc_id)
    public_id, private_id = tables["public"]["RouteTableId"], tables["private-us-east-1a"]["RouteTableId"]
    theirs = ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway",
        VpcId=vpc_id,
        ServiceName=S3,
        RouteTableIds=[public_id],
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "owner", "Value": "them"}]}],
    )["VpcEndpoint"]["VpcEndpointId"]

    on = succeeded(run(aws))
    ours = on["network"]["s3_gateway_endpoint_id"]
    assert endpoint(ec2, ours)["RouteTableIds"] == [private_id]
    described = endpoint(ec2, theirs)
    assert (described["RouteTableIds"], described["Tags"]) == ([public_id], [{"Key": "owner", "Value": "them"}])
    with aws.recording() as rec:
        assert not succeeded(run(aws))["changed"]
    assert rec.mutations == []

    removed = succeeded(run(aws, state="absent"))
    assert f"deleted S3 gateway endpoint {ours}" in removed["changes"]
    assert endpoint(ec2, theirs)["State"].lower() == "available"


def test_teardown_removes_it_before_the_route_tables(aws, ec2, built):
    endpoint_id = built["network"]["s3_gateway_endpoint_id"]
    planned = succeeded(run(aws, check_mode=True, state="absent"))
    with aws.recording() as rec:
        removed = succeeded(run(aws, state="absent"))
    changes = removed["changes"]
    # The tables are not taken off the endpoint the teardown has just deleted, nor planned to be in check mode.
    assert "ModifyVpcEndpoint" not in rec.mutations
    assert planned["changes"] == changes
    deleted = changes.index(f"deleted S3 gateway endpoint {endpoint_id}")
    assert deleted < min(index for index, change in enumerate(changes) if change.startswith("route table "))
    assert endpoint(ec2, endpoint_id)["State"].lower() == "deleted"


def test_a_create_ec2_does_not_list_yet_is_not_made_twice(aws, ec2):
    """Two runs, the second while EC2 still hides the first one's endpoint: the ClientToken returns it."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    table_id = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    aws.set_propagation_delay(120)

    def present():
        client = RetryingBotoClientWrapper(aws.boto3_client("ec2"), AWS_RETRY)
        return s3_endpoint.reconcile(Scope(client, NETWORK, warn=print, vpc_id=vpc_id), PRESENT, [table_id])

    first = present()
    assert first.changed and aws.propagating() == 1
    second = present()
    assert second.data["vpc_endpoint_id"] == first.data["vpc_endpoint_id"]
    aws.set_propagation_delay(0)
    assert live_s3_endpoints(ec2, vpc_id) == [first.data["vpc_endpoint_id"]]
