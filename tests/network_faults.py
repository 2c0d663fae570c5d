"""Break a network the role built, the way networks break in real accounts.

Each fault is a function ``fault(ec2, network, zone)`` that damages one thing, found by the role's identity tags.
Molecule's repair scenario and the fault tests call them; so can a person, against the emulator:

    PYTHONPATH=tests python -m network_faults --endpoint-url http://127.0.0.1:5000 --network demo \\
        private_default_route_deleted igw_detached
"""

import argparse
import sys

import boto3

NETWORK_TAG = "cloudreactor:network"
DEFAULT_ROUTE = "0.0.0.0/0"


def _tagged(ec2, operation, key, network, component=None, *, extra_filters=()):
    filters = [{"Name": f"tag:{NETWORK_TAG}", "Values": [network]}, *extra_filters]
    if component:
        filters.append({"Name": "tag:cloudreactor:component", "Values": [component]})
    filter_key = "Filter" if operation == "describe_nat_gateways" else "Filters"
    return getattr(ec2, operation)(**{filter_key: filters})[key]


def _table(ec2, network, name):
    tables = _tagged(
        ec2,
        "describe_route_tables",
        "RouteTables",
        network,
        extra_filters=[{"Name": "tag:cloudreactor:table", "Values": [name]}],
    )
    return tables[0]


def _subnet(ec2, network, tier, zone):
    return _tagged(
        ec2,
        "describe_subnets",
        "Subnets",
        network,
        f"subnet-{tier}",
        extra_filters=[{"Name": "tag:cloudreactor:az", "Values": [zone]}],
    )[0]


def private_default_route_deleted(ec2, network, zone):
    """Someone deleted the private subnets' way out."""
    table = _table(ec2, network, f"private-{zone}")
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=DEFAULT_ROUTE)


def nat_deleted(ec2, network, zone):
    """The zone's NAT gateway was deleted: its private route turns into a blackhole."""
    public = _subnet(ec2, network, "public", zone)
    nats = _tagged(
        ec2,
        "describe_nat_gateways",
        "NatGateways",
        network,
        extra_filters=[{"Name": "subnet-id", "Values": [public["SubnetId"]]}],
    )
    for nat in nats:
        if nat["State"] in ("pending", "available"):
            ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])


def igw_detached(ec2, network, zone):  # noqa: ARG001 - one internet gateway per network
    """The internet gateway was detached from the VPC: every public route is a blackhole."""
    for igw in _tagged(ec2, "describe_internet_gateways", "InternetGateways", network):
        for attachment in igw.get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=attachment["VpcId"])


def private_subnet_on_public_table(ec2, network, zone):
    """The zone's private subnet was moved onto the public route table."""
    private = _subnet(ec2, network, "private", zone)
    public_table = _table(ec2, network, "public")
    current = _table(ec2, network, f"private-{zone}")
    association = next(a for a in current["Associations"] if a.get("SubnetId") == private["SubnetId"])
    ec2.replace_route_table_association(
        AssociationId=association["RouteTableAssociationId"], RouteTableId=public_table["RouteTableId"]
    )


def task_sg_egress_revoked(ec2, network, zone):  # noqa: ARG001 - one task security group per network
    """The task security group lost its outbound rules."""
    for group in _tagged(ec2, "describe_security_groups", "SecurityGroups", network, "security-group"):
        if group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])


FAULTS = {
    fault.__name__: fault
    for fault in (
        private_default_route_deleted,
        nat_deleted,
        igw_detached,
        private_subnet_on_public_table,
        task_sg_egress_revoked,
    )
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--network", required=True)
    parser.add_argument("--zone", default="us-east-1a", help="zone whose resources per-zone faults damage")
    parser.add_argument("faults", nargs="+", choices=sorted(FAULTS))
    args = parser.parse_args(argv)
    ec2 = boto3.client(
        "ec2",
        endpoint_url=args.endpoint_url,
        region_name=args.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for name in args.faults:
        FAULTS[name](ec2, args.network, args.zone)
        print(f"injected {name} into {args.network} ({args.zone})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
