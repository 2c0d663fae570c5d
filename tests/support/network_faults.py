"""Break a network the role built, the way networks break in real accounts.

Each fault is a function ``fault(ec2, network, zone)`` that damages one thing, found by the role's identity tags.
Molecule's repair scenario and the fault tests call them; so can a person, against the emulator:

    PYTHONPATH=tests python -m support.network_faults --endpoint-url http://127.0.0.1:5000 --network demo \\
        private_default_route_deleted igw_detached
"""

import argparse
import sys

import boto3

NETWORK_TAG = "cloudreactor:network"
DEFAULT_ROUTE = "0.0.0.0/0"


def _component(component):
    return {"Name": "tag:cloudreactor:component", "Values": [component]}


def _tagged(ec2, operation, key, network, extra_filters=()):
    filters = [{"Name": f"tag:{NETWORK_TAG}", "Values": [network]}, *extra_filters]
    filter_key = "Filter" if operation == "describe_nat_gateways" else "Filters"
    return getattr(ec2, operation)(**{filter_key: filters})[key]


def _table(ec2, network, name):
    tables = _tagged(
        ec2,
        "describe_route_tables",
        "RouteTables",
        network,
        [{"Name": "tag:cloudreactor:table", "Values": [name]}],
    )
    return tables[0]


def _subnet(ec2, network, tier, zone):
    return _tagged(
        ec2,
        "describe_subnets",
        "Subnets",
        network,
        [_component(f"subnet-{tier}"), {"Name": "tag:cloudreactor:az", "Values": [zone]}],
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
        [{"Name": "subnet-id", "Values": [public["SubnetId"]]}],
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
    for group in _tagged(ec2, "describe_security_groups", "SecurityGroups", network, [_component("security-group")]):
        if group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])


def _igw(ec2, network):
    return _tagged(ec2, "describe_internet_gateways", "InternetGateways", network)[0]


def _vpc_id(ec2, network):
    return _table(ec2, network, "public")["VpcId"]


def private_route_to_igw(ec2, network, zone):
    """The zone's private default route was pointed at the internet gateway (tasks without public IPs go nowhere)."""
    table = _table(ec2, network, f"private-{zone}")
    ec2.replace_route(
        RouteTableId=table["RouteTableId"],
        DestinationCidrBlock=DEFAULT_ROUTE,
        GatewayId=_igw(ec2, network)["InternetGatewayId"],
    )


def nat_failed(ec2, network, zone):
    """The zone's NAT gateway was replaced by one that failed (its subnet lost its way out while it was created)."""
    public = _subnet(ec2, network, "public", zone)
    public_table = _table(ec2, network, "public")
    nat_deleted(ec2, network, zone)
    ec2.delete_route(RouteTableId=public_table["RouteTableId"], DestinationCidrBlock=DEFAULT_ROUTE)
    address = ec2.allocate_address(Domain="vpc")
    tags = [
        {"Key": NETWORK_TAG, "Value": network},
        {"Key": "cloudreactor:component", "Value": "nat-gateway"},
        {"Key": "cloudreactor:az", "Value": zone},
        {"Key": "cloudreactor:subnet", "Value": public["SubnetId"]},
    ]
    failed = ec2.create_nat_gateway(
        SubnetId=public["SubnetId"],
        AllocationId=address["AllocationId"],
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": tags}],
    )["NatGateway"]["NatGatewayId"]
    ec2.describe_nat_gateways(NatGatewayIds=[failed])
    ec2.create_route(
        RouteTableId=public_table["RouteTableId"],
        DestinationCidrBlock=DEFAULT_ROUTE,
        GatewayId=_igw(ec2, network)["InternetGatewayId"],
    )
    ec2.release_address(AllocationId=address["AllocationId"])
    private_table = _table(ec2, network, f"private-{zone}")
    ec2.replace_route(
        RouteTableId=private_table["RouteTableId"], DestinationCidrBlock=DEFAULT_ROUTE, NatGatewayId=failed
    )


def igw_deleted(ec2, network, zone):
    """The internet gateway was detached and deleted."""
    igw_id = _igw(ec2, network)["InternetGatewayId"]
    igw_detached(ec2, network, zone)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)


def private_subnet_on_main_table(ec2, network, zone):
    """The zone's private subnet lost its explicit association and fell back to the VPC's main table."""
    private = _subnet(ec2, network, "private", zone)
    table = _table(ec2, network, f"private-{zone}")
    association = next(a for a in table["Associations"] if a.get("SubnetId") == private["SubnetId"])
    ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])


def public_route_table_deleted(ec2, network, zone):  # noqa: ARG001 - one public table per network
    """The public route table is gone: the public subnets fell back to the VPC's main table (no way out)."""
    table = _table(ec2, network, "public")
    for association in table["Associations"]:
        ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    ec2.delete_route_table(RouteTableId=table["RouteTableId"])


def public_default_route_deleted(ec2, network, zone):  # noqa: ARG001 - one public table per network
    """The public subnets lost their route to the internet gateway (and with them every NAT gateway)."""
    table = _table(ec2, network, "public")
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=DEFAULT_ROUTE)


def vpc_dns_hostnames_off(ec2, network, zone):  # noqa: ARG001 - a VPC-wide setting
    """DNS hostnames were turned off on the VPC (interface endpoints with private DNS stop resolving)."""
    ec2.modify_vpc_attribute(VpcId=_vpc_id(ec2, network), EnableDnsHostnames={"Value": False})


def nacl_denies_ephemeral(ec2, network, zone):
    """A network ACL rule now denies the return traffic (TCP 1024-65535) into the zone's private subnet."""
    private = _subnet(ec2, network, "private", zone)
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [private["SubnetId"]]}])
    ec2.create_network_acl_entry(
        NetworkAclId=acl["NetworkAcls"][0]["NetworkAclId"],
        RuleNumber=50,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock="0.0.0.0/0",
        PortRange={"From": 1024, "To": 65535},
    )


def eip_leaked(ec2, network, zone):
    """An Elastic IP tagged as the network's sits unassociated (it costs money and serves nothing)."""
    public = _subnet(ec2, network, "public", zone)
    tags = [
        {"Key": NETWORK_TAG, "Value": network},
        {"Key": "cloudreactor:component", "Value": "elastic-ip"},
        {"Key": "cloudreactor:subnet", "Value": public["SubnetId"]},
    ]
    ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": tags}])


# -- IPv6 faults: of a dual-stack or IPv6-only network (ip_mode); IPV6_FAULTS lists them ------------------------

IPV6_DEFAULT_ROUTE = "::/0"
NAT64_PREFIX = "64:ff9b::/96"


def _eigw(ec2, network):
    return _tagged(ec2, "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways", network)[0]


def ipv6_default_route_deleted(ec2, network, zone):
    """The zone's private ::/0 route was deleted: clients that prefer IPv6 hang until they fall back to IPv4."""
    table = _table(ec2, network, f"private-{zone}")
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationIpv6CidrBlock=IPV6_DEFAULT_ROUTE)


def ipv6_route_to_deleted_gateway(ec2, network, zone):
    """The zone's private ::/0 route was moved to another egress-only gateway, which was then deleted."""
    table = _table(ec2, network, f"private-{zone}")
    other = ec2.create_egress_only_internet_gateway(VpcId=table["VpcId"])["EgressOnlyInternetGateway"]
    other_id = other["EgressOnlyInternetGatewayId"]
    ec2.replace_route(
        RouteTableId=table["RouteTableId"],
        DestinationIpv6CidrBlock=IPV6_DEFAULT_ROUTE,
        EgressOnlyInternetGatewayId=other_id,
    )
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=other_id)


def eigw_deleted(ec2, network, zone):  # noqa: ARG001 - one egress-only gateway per network
    """The network's egress-only internet gateway was deleted: every ::/0 route to it is a blackhole."""
    ec2.delete_egress_only_internet_gateway(
        EgressOnlyInternetGatewayId=_eigw(ec2, network)["EgressOnlyInternetGatewayId"]
    )


def dns64_off(ec2, network, zone):
    """DNS64 was turned off on the zone's IPv6-only subnet: IPv4-only names get no address it can reach."""
    subnet = _subnet(ec2, network, "ipv6-only", zone)
    ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], EnableDns64={"Value": False})


def nat64_route_deleted(ec2, network, zone):
    """The zone's 64:ff9b::/96 route to its NAT gateway was deleted: IPv6-only tasks lose every IPv4-only
    destination (ecr:GetAuthorizationToken among them)."""
    table = _table(ec2, network, f"private-{zone}")
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationIpv6CidrBlock=NAT64_PREFIX)


def task_sg_ipv6_egress_revoked(ec2, network, zone):  # noqa: ARG001 - one task security group per network
    """The task security group lost its outbound rule over IPv6 (the IPv4 one stays)."""
    for group in _tagged(ec2, "describe_security_groups", "SecurityGroups", network, [_component("security-group")]):
        ipv6 = [
            dict(rule, IpRanges=[], UserIdGroupPairs=[], PrefixListIds=[])
            for rule in group["IpPermissionsEgress"]
            if rule.get("Ipv6Ranges")
        ]
        if ipv6:
            ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=ipv6)


IPV6_FAULTS = {
    fault.__name__: fault
    for fault in (
        ipv6_default_route_deleted,
        ipv6_route_to_deleted_gateway,
        eigw_deleted,
        dns64_off,
        nat64_route_deleted,
        task_sg_ipv6_egress_revoked,
    )
}

FAULTS = {
    fault.__name__: fault
    for fault in (
        private_default_route_deleted,
        private_route_to_igw,
        nat_deleted,
        nat_failed,
        igw_detached,
        igw_deleted,
        private_subnet_on_public_table,
        private_subnet_on_main_table,
        public_default_route_deleted,
        task_sg_egress_revoked,
        vpc_dns_hostnames_off,
        nacl_denies_ephemeral,
        eip_leaked,
    )
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", help="an emulator's; without it, AWS with the usual credentials")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--profile")
    parser.add_argument("--network", required=True)
    parser.add_argument("--zone", default="us-east-1a", help="zone whose resources per-zone faults damage")
    parser.add_argument("faults", nargs="+", choices=sorted(FAULTS | IPV6_FAULTS))
    args = parser.parse_args(argv)
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"} if args.endpoint_url else {}
    session = boto3.session.Session(profile_name=args.profile)
    ec2 = session.client("ec2", endpoint_url=args.endpoint_url, region_name=args.region, **credentials)
    for name in args.faults:
        (FAULTS | IPV6_FAULTS)[name](ec2, args.network, args.zone)
        print(f"injected {name} into {args.network} ({args.zone})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
