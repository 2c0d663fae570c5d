"""What a network built by the role looks like, with every id left out: two networks built the same way (or one
rebuilt after a crash) have equal shapes, whatever ids AWS gave them.

``network_shape(ec2, vpc_id, network)`` describes everything inside the VPC, tagged or not (subnets, route tables
with their routes and associations, security groups with their rules, NAT gateways in its subnets, internet
gateways attached to it or tagged for the network) and the Elastic IPs of the network or of its NAT gateways.
Ids become what they point at (a subnet's CIDR, a NAT's subnet CIDR, ``regional`` for a regional NAT); the network's
name becomes ``{network}``. IPv6 addresses differ from build to build (AWS picks the VPC's /56): a subnet or VPC shows
whether it has a block, an IPv6-only subnet stands for itself as ``ipv6-only@<zone>``, the VPC's own IPv6 route as
``vpc-ipv6``.
``region_counts(ec2)`` counts what exists in the whole region outside the default VPC, for leak checks.
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until

NETWORK_TAG = "cloudreactor:network"
GONE_NAT_STATES = ("deleted",)


def _tags(resource, network, labels=None):
    """The resource's tags; the network's name becomes ``{network}``, and an id in ``labels`` its label."""
    labels = labels or {}
    return {
        tag["Key"]: labels.get(tag["Value"], tag["Value"].replace(network, "{network}"))
        for tag in resource.get("Tags") or []
    }


def _vpc_filter(vpc_id):
    return [{"Name": "vpc-id", "Values": [vpc_id]}]


def network_shape(ec2, vpc_id, network):
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    dns_support = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]
    dns_hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]
    subnets = ec2.describe_subnets(Filters=_vpc_filter(vpc_id))["Subnets"]
    cidr_of = {
        subnet["SubnetId"]: subnet.get("CidrBlock") or f"ipv6-only@{subnet['AvailabilityZone']}" for subnet in subnets
    }
    nats = [
        nat
        for nat in ec2.describe_nat_gateways(Filter=_vpc_filter(vpc_id))["NatGateways"]
        if nat["State"] not in GONE_NAT_STATES
    ]
    # A regional NAT gateway has no subnet: it stands for itself as "regional".
    nat_subnet = {
        nat["NatGatewayId"]: cidr_of.get(nat.get("SubnetId"), nat.get("SubnetId") or "regional") for nat in nats
    }
    igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])[
        "InternetGateways"
    ]
    tagged_igws = ec2.describe_internet_gateways(Filters=[{"Name": f"tag:{NETWORK_TAG}", "Values": [network]}])[
        "InternetGateways"
    ]
    igws += [igw for igw in tagged_igws if igw["InternetGatewayId"] not in {i["InternetGatewayId"] for i in igws}]
    igw_ids = {igw["InternetGatewayId"] for igw in igws}

    def target(route):
        if route.get("EgressOnlyInternetGatewayId"):
            return "eigw"
        if route.get("NatGatewayId"):
            return f"nat@{nat_subnet.get(route['NatGatewayId'], route['NatGatewayId'])}"
        gateway = route.get("GatewayId") or "?"
        if gateway in igw_ids:
            return "igw"
        return gateway if gateway == "local" else gateway.split("-")[0]

    tables = []
    for table in ec2.describe_route_tables(Filters=_vpc_filter(vpc_id))["RouteTables"]:
        associations = table.get("Associations") or []
        tables.append(
            {
                "main": any(association.get("Main") for association in associations),
                "tags": _tags(table, network),
                "routes": sorted(
                    (_destination(route), target(route), route.get("State")) for route in table.get("Routes") or []
                ),
                "subnets": sorted(cidr_of[a["SubnetId"]] for a in associations if a.get("SubnetId") in cidr_of),
            }
        )

    groups = []
    for group in ec2.describe_security_groups(Filters=_vpc_filter(vpc_id))["SecurityGroups"]:
        groups.append(
            {
                "name": group["GroupName"].replace(network, "{network}"),
                "tags": _tags(group, network),
                "ingress": _rules(group.get("IpPermissions")),
                "egress": _rules(group.get("IpPermissionsEgress")),
            }
        )

    nat_enis = {
        address.get("NetworkInterfaceId"): nat_subnet[nat["NatGatewayId"]]
        for nat in nats
        for address in nat.get("NatGatewayAddresses") or []
    }
    addresses = ec2.describe_addresses()["Addresses"]
    eips = [
        {"tags": _tags(eip, network, cidr_of), "nat": nat_enis.get(eip.get("NetworkInterfaceId"))}
        for eip in addresses
        if _tags(eip, network).get(NETWORK_TAG) == "{network}" or eip.get("NetworkInterfaceId") in nat_enis
    ]

    return {
        "vpc": {
            "cidr": vpc["CidrBlock"],
            "dns_support": dns_support["Value"],
            "dns_hostnames": dns_hostnames["Value"],
            "ipv6": _has_ipv6(vpc),
            "tags": _tags(vpc, network),
        },
        "subnets": _sorted(
            {
                "cidr": cidr_of[subnet["SubnetId"]],
                "zone": subnet["AvailabilityZone"],
                "map_public_ip": subnet["MapPublicIpOnLaunch"],
                "ipv6": _has_ipv6(subnet),
                "assign_ipv6": subnet.get("AssignIpv6AddressOnCreation", False),
                "dns64": subnet.get("EnableDns64", False),
                "tags": _tags(subnet, network),
            }
            for subnet in subnets
        ),
        "internet_gateways": _sorted(
            {
                "attached": sorted(a["State"] for a in igw.get("Attachments") or [] if a.get("VpcId") == vpc_id),
                "tags": _tags(igw, network),
            }
            for igw in igws
        ),
        "route_tables": _sorted(tables),
        "security_groups": _sorted(groups),
        "nat_gateways": _sorted(
            {
                "subnet": nat_subnet[nat["NatGatewayId"]],
                "state": nat["State"],
                "type": nat.get("ConnectivityType", "public"),
                "tags": _tags(nat, network, cidr_of),
            }
            for nat in nats
        ),
        "elastic_ips": _sorted(eips),
    }


def _rules(permissions):
    rules = []
    for permission in permissions or []:
        ranges = [r["CidrIp"] for r in permission.get("IpRanges") or []]
        ranges += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges") or []]
        groups = ["group" for _ in permission.get("UserIdGroupPairs") or []]
        rules.append(
            (
                permission.get("IpProtocol"),
                permission.get("FromPort"),
                permission.get("ToPort"),
                *sorted(ranges + groups),
            )
        )
    return sorted(rules, key=repr)


def _has_ipv6(resource):
    return any(
        association["Ipv6CidrBlockState"]["State"] in ("associating", "associated")
        for association in resource.get("Ipv6CidrBlockAssociationSet") or []
    )


def _destination(route):
    if route.get("DestinationIpv6CidrBlock") and route.get("GatewayId") == "local":
        return "vpc-ipv6"
    return route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or ""


def _sorted(items):
    return sorted(items, key=repr)


def region_counts(ec2):
    """What exists in the region outside the default VPC: a duplicate or a leak shows up here, tagged or not."""
    default_vpcs = {vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"] if vpc.get("IsDefault")}
    vpcs = [vpc for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc.get("IsDefault")]
    igws = [
        igw
        for igw in ec2.describe_internet_gateways()["InternetGateways"]
        if not any(a.get("VpcId") in default_vpcs for a in igw.get("Attachments") or [])
    ]
    nats = [nat for nat in ec2.describe_nat_gateways()["NatGateways"] if nat["State"] not in GONE_NAT_STATES]
    return {
        "vpcs": len(vpcs),
        "internet_gateways": len(igws),
        "nat_gateways": len(nats),
        "nat_gateways_usable": sum(nat["State"] in ("pending", "available") for nat in nats),
        "elastic_ips": len(ec2.describe_addresses()["Addresses"]),
        "elastic_ips_free": sum(
            not eip.get("AssociationId") and not eip.get("NetworkInterfaceId")
            for eip in ec2.describe_addresses()["Addresses"]
        ),
    }


def one_network_counts(zones):
    """``region_counts`` of a region holding exactly one healthy network with a NAT gateway per zone: no duplicate,
    no leaked or idle address."""
    return {
        "vpcs": 1,
        "internet_gateways": 1,
        "nat_gateways": zones,
        "nat_gateways_usable": zones,
        "elastic_ips": zones,
        "elastic_ips_free": 0,
    }


def wait_until_listed(aws, group_id):
    """Poll until AWS lists the run's last creation (its security group): a later run then sees the whole network.
    (A run that starts sooner may not see what the previous one made last; see docs/reliability.md.)"""
    ec2 = aws.boto3_client("ec2")
    filters = [{"Name": "group-id", "Values": [group_id]}]
    poll_until(
        lambda: (bool(ec2.describe_security_groups(Filters=filters)["SecurityGroups"]), group_id),
        timeout=60,
        what=f"security group {group_id} to be listed",
    )


def wait_until_propagated(aws):
    """Poll the emulator until no id created under its propagation delay is still hidden: a run starting then sees
    everything made before it, and describes count all of it."""
    poll_until(
        lambda: (aws.propagating() == 0, f"{aws.propagating()} new ids still hidden"),
        timeout=60,
        what="every new id to be listed",
    )
