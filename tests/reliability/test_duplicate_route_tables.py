"""Route tables of one name in one network's VPC, left by runs that raced before the network's claim existed (or by an
older release), are reported, brought back to one and torn down (plugins/module_utils/_resources/route_table.py).

The duplicate is what such a race leaves: a second table with the identity tags of one of the network's tables, on
the network's S3 gateway endpoint (the racing run associated its own tables with it), holding one of the table's
subnets.
"""

from support.module_runner import run_module
from support.network_shape import region_counts

NETWORK = "twin-tables"
CODE = "NETWORK_DUPLICATE_ROUTE_TABLES"


def run(aws, check_mode=False, diff=False, **params):
    return run_module(
        "network", {**aws.module_params(), "network_name": NETWORK, **params}, check_mode=check_mode, diff=diff
    )


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def tables_named(ec2, vpc_id, name):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:cloudreactor:table", "Values": [name]}]
    return ec2.describe_route_tables(Filters=filters)["RouteTables"]


def duplicate(ec2, vpc_id, name):
    """A second table ``name`` of the network, as a racing run left it: on the network's S3 gateway endpoint."""
    tags = {
        "cloudreactor:network": NETWORK,
        "cloudreactor:component": "route-table",
        "cloudreactor:table": name,
        "Name": f"{NETWORK}-{name}",
    }
    spec = [{"ResourceType": "route-table", "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]
    table_id = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=spec)["RouteTable"]["RouteTableId"]
    (endpoint,) = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], AddRouteTableIds=[table_id])
    return table_id


def move(ec2, subnet_id, table_id):
    """Associate ``subnet_id`` with ``table_id`` instead of its table."""
    (table,) = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])[
        "RouteTables"
    ]
    (association,) = [item for item in table["Associations"] if item.get("SubnetId") == subnet_id]
    ec2.replace_route_table_association(AssociationId=association["RouteTableAssociationId"], RouteTableId=table_id)


def findings(aws):
    result = ok(run_module("network_check", {**aws.module_params(), "network_name": NETWORK, "fail_on": "never"}))
    return {finding["code"]: finding for finding in result["findings"]}


def test_a_duplicate_table_is_reported_refused_while_in_use_then_removed(aws, ec2):
    network = ok(run(aws))["network"]
    vpc_id = network["vpc_id"]
    (original,) = [table["RouteTableId"] for table in tables_named(ec2, vpc_id, "public")]
    twin = duplicate(ec2, vpc_id, "public")
    theirs = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.240.0/24")["Subnet"]["SubnetId"]
    association = ec2.associate_route_table(RouteTableId=twin, SubnetId=theirs)["AssociationId"]

    # In use by a subnet that is not the network's: named, and nothing changes (the plan fails, so no claim either).
    reported = findings(aws)[CODE]
    assert reported["severity"] == "warning" and twin in reported["message"] and original in reported["message"]
    with aws.recording() as rec:
        refused = run(aws)
    assert refused.get("failed")
    assert twin in refused["msg"] and f"subnet {theirs}" in refused["msg"] and "Nothing was changed" in refused["msg"]
    assert rec.mutations == [] and rec.claim_calls == []

    # Freed, and holding one of the two public subnets: the tables are equal, so the lowest id is kept.
    ec2.disassociate_route_table(AssociationId=association)
    ec2.delete_subnet(SubnetId=theirs)
    moved = network["public_subnet_ids"][1]
    move(ec2, moved, twin)
    kept, other = sorted([original, twin])
    with aws.recording() as rec:
        planned = ok(run(aws, check_mode=True, diff=True))
    assert f"route table public: deleted duplicate route table {other}" in planned["changes"]
    diff = planned["diff"]
    assert [table["route_table_id"] for table in diff["before"]["route_table_public"]["duplicates"]] == [other]
    assert diff["after"]["route_table_public"]["duplicates"] == []
    assert rec.mutations == [] and len(tables_named(ec2, vpc_id, "public")) == 2

    repaired = ok(run(aws))

    (endpoint,) = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    expected = [
        f"route table public: took {other} off S3 gateway endpoint {endpoint['VpcEndpointId']}",
        f"route table public: deleted duplicate route table {other}",
    ]
    if other == twin:
        expected.insert(0, f"route table public: moved {moved} from {twin}")
    else:
        expected.insert(0, f"route table public: moved {network['public_subnet_ids'][0]} from {original}")
    # In this order: the subnet moves before its table goes (a twin kept also gets its default route first).
    assert [change for change in repaired["changes"] if change in expected] == expected
    (left,) = tables_named(ec2, vpc_id, "public")
    assert left["RouteTableId"] == kept
    assert sorted(a["SubnetId"] for a in left["Associations"]) == sorted(network["public_subnet_ids"])
    assert other not in endpoint["RouteTableIds"]
    assert CODE not in {finding["code"] for finding in repaired["audit"]["findings"]}

    with aws.recording() as rec:
        again = ok(run(aws))
    assert (again["changed"], rec.mutations) == (False, [])
    assert len(rec.actions) <= 12, sorted(rec.actions)


def test_teardown_of_a_network_with_a_duplicate_table_leaves_nothing(aws, ec2):
    network = ok(run(aws, az_count=1))["network"]
    vpc_id = network["vpc_id"]
    name = f"private-{network['availability_zones'][0]}"
    (original,) = [table["RouteTableId"] for table in tables_named(ec2, vpc_id, name)]
    twin = duplicate(ec2, vpc_id, name)
    move(ec2, network["private_subnet_ids"][0], twin)

    removed = ok(run(aws, state="absent"))

    assert {f"route table {name}: deleted route table {table_id}" for table_id in (original, twin)} <= set(
        removed["changes"]
    )
    counts = region_counts(ec2)
    assert (counts["vpcs"], counts["internet_gateways"], counts["nat_gateways"], counts["elastic_ips"]) == (0, 0, 0, 0)
