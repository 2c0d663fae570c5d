"""The S3 gateway endpoint as the collection relies on it: its prefix-list routes, tags and describe filters.

``test_modify_*`` prove the ``gateway_endpoint_routes`` patch (they fail with
``AWS_EMULATOR_SKIP_PATCHES=gateway_endpoint_routes``), ``test_client_token_*`` the ``vpc_endpoint_client_token``
patch. The others pin down what stock moto already does like AWS, so that a moto upgrade that breaks it is noticed.
"""

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

S3 = "com.amazonaws.us-east-1.s3"
NETWORK_TAG = {"Key": "cloudreactor:network", "Value": "n"}


def build(ec2, tables=2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    table_ids = [ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(tables)]
    prefix_list = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [S3]}])["PrefixLists"]
    return SimpleNamespace(vpc=vpc, tables=table_ids, prefix_list=prefix_list[0]["PrefixListId"])


def create_endpoint(ec2, net, route_table_ids):
    return ec2.create_vpc_endpoint(
        VpcId=net.vpc,
        ServiceName=S3,
        VpcEndpointType="Gateway",
        RouteTableIds=route_table_ids,
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [NETWORK_TAG]}],
    )["VpcEndpoint"]["VpcEndpointId"]


def endpoint_routes(ec2, table_id):
    """``[(prefix list id, endpoint id, state)]`` of the prefix-list routes of a route table."""
    table = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
    return [
        (route["DestinationPrefixListId"], route.get("GatewayId"), route["State"])
        for route in table["Routes"]
        if route.get("DestinationPrefixListId")
    ]


def test_create_adds_a_prefix_list_route_to_each_table(ec2):
    net = build(ec2)
    endpoint = create_endpoint(ec2, net, net.tables)
    for table in net.tables:
        assert endpoint_routes(ec2, table) == [(net.prefix_list, endpoint, "active")]


def test_modify_add_route_table_adds_the_route(ec2):
    net = build(ec2)
    endpoint = create_endpoint(ec2, net, [net.tables[0]])
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, AddRouteTableIds=[net.tables[1]])
    assert endpoint_routes(ec2, net.tables[1]) == [(net.prefix_list, endpoint, "active")]
    described = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]
    assert sorted(described["RouteTableIds"]) == sorted(net.tables)


def test_modify_remove_route_table_removes_the_route(ec2):
    net = build(ec2)
    endpoint = create_endpoint(ec2, net, net.tables)
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, RemoveRouteTableIds=[net.tables[0]])
    assert endpoint_routes(ec2, net.tables[0]) == []
    assert endpoint_routes(ec2, net.tables[1]) == [(net.prefix_list, endpoint, "active")]


def test_modify_add_of_an_associated_table_keeps_one_route(ec2):
    # One table associated at creation, one by a ModifyVpcEndpoint: adding either again keeps its one route.
    net = build(ec2)
    endpoint = create_endpoint(ec2, net, [net.tables[0]])
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, AddRouteTableIds=[net.tables[1]])
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, AddRouteTableIds=net.tables)
    for table in net.tables:
        assert endpoint_routes(ec2, table) == [(net.prefix_list, endpoint, "active")]


def test_delete_removes_the_routes(ec2):
    net = build(ec2)
    endpoint = create_endpoint(ec2, net, net.tables)
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])["Unsuccessful"] == []
    for table in net.tables:
        assert endpoint_routes(ec2, table) == []


def test_tags_and_describe_filters(ec2):
    net = build(ec2)
    endpoint = create_endpoint(ec2, net, net.tables)
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_endpoint(VpcId=other_vpc, ServiceName=S3, VpcEndpointType="Gateway")

    def found(name, values):
        filters = [{"Name": name, "Values": values}]
        return [item["VpcEndpointId"] for item in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]]

    assert found("vpc-id", [net.vpc]) == [endpoint]
    assert len(found("service-name", [S3])) == 2
    assert found("tag:cloudreactor:network", ["n"]) == [endpoint]
    described = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]
    assert described["Tags"] == [NETWORK_TAG]
    assert (described["VpcEndpointType"], described["State"]) == ("Gateway", "available")


def test_client_token_returns_the_same_endpoint(ec2):
    net = build(ec2)
    request = {"VpcId": net.vpc, "ServiceName": S3, "VpcEndpointType": "Gateway", "RouteTableIds": net.tables}
    first = ec2.create_vpc_endpoint(ClientToken="s3-endpoint", **request)["VpcEndpoint"]["VpcEndpointId"]
    again = ec2.create_vpc_endpoint(ClientToken="s3-endpoint", **request)["VpcEndpoint"]["VpcEndpointId"]
    assert again == first
    assert [item["VpcEndpointId"] for item in ec2.describe_vpc_endpoints()["VpcEndpoints"]] == [first]
    assert endpoint_routes(ec2, net.tables[0]) == [(net.prefix_list, first, "active")]


def test_client_token_with_other_parameters_is_a_mismatch(ec2):
    net = build(ec2)
    request = {"VpcId": net.vpc, "ServiceName": S3, "VpcEndpointType": "Gateway", "ClientToken": "s3-endpoint"}
    ec2.create_vpc_endpoint(RouteTableIds=[net.tables[0]], **request)
    with pytest.raises(ClientError) as excinfo:
        ec2.create_vpc_endpoint(RouteTableIds=net.tables, **request)
    assert excinfo.value.response["Error"]["Code"] == "IdempotentParameterMismatch"
