"""Builders and module helpers for the cloudreactor.aws.network_check tests (tests/integration/test_network_check_*).

``build_network`` builds on the emulator the correctly built public + private network the tests start from (two AZs,
one NAT gateway per AZ, DNS attributes on, default ACLs, allow-all egress); the smaller builders add or break one
part of it. ``run_check`` runs the module in-process, and the rest reads its findings.
"""

from types import SimpleNamespace

from support.module_runner import run_module

ZONES = ("us-east-1a", "us-east-1b")
NETWORK = "tasks-test"


# -- builders ----------------------------------------------------------------------------------------------------


def tags(**values):
    return [{"Key": key, "Value": value} for key, value in values.items()]


def spec(resource_type, **values):
    return [{"ResourceType": resource_type, "Tags": tags(**values)}]


def create_vpc(ec2, cidr="10.0.0.0/16"):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    return vpc


def create_subnet(ec2, vpc, cidr, zone, name=None, **kwargs):
    if name:
        kwargs["TagSpecifications"] = spec("subnet", Name=name)
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone, **kwargs)["Subnet"]["SubnetId"]


def create_table(ec2, vpc, subnets=(), default=None):
    """A route table associated with ``subnets``; ``default``: ``{"GatewayId": ...}`` / ``{"NatGatewayId": ...}``."""
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    if default:
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", **default)
    return table


def create_nat(ec2, subnet, **kwargs):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, **kwargs)["NatGateway"]["NatGatewayId"]


def add_regional_nat(ec2, net, manual_zones=None):
    """Route every private subnet of ``net`` (built with ``nats="none"``) to a new regional NAT gateway: automatic
    mode, or with ``manual_zones`` manual mode with a newly allocated Elastic IP for each of those zones."""
    params = {"AvailabilityMode": "regional", "VpcId": net.vpc}
    if manual_zones is not None:
        params["AvailabilityZoneAddresses"] = [
            {"AvailabilityZone": zone, "AllocationIds": [ec2.allocate_address(Domain="vpc")["AllocationId"]]}
            for zone in manual_zones
        ]
    nat = ec2.create_nat_gateway(**params)["NatGateway"]["NatGatewayId"]
    net.nat = {net.zones[0]: nat}
    for table in net.private_rtb.values():
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)


def build_network(ec2, zones=ZONES, *, cidr_prefix="10.0", nats="per_az", igw=True):
    """VPC ``<prefix>.0.0/16``: per zone a public /24 (``.<i>.0``) and a private /24 (``.<100+i>.0``) named like the
    CloudReactor wizard; one public route table to the internet gateway; per zone a private route table to the NAT
    gateway of that zone (``nats="per_az"``), all to the first zone's NAT (``"single"``), all to one regional NAT
    gateway in automatic mode (``"regional"``; see :func:`add_regional_nat` for manual mode), or no NAT
    (``"none"``)."""
    vpc = create_vpc(ec2, f"{cidr_prefix}.0.0/16")
    net = SimpleNamespace(vpc=vpc, zones=list(zones), igw=None, public={}, private={}, private_rtb={}, nat={})
    if igw:
        net.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=net.igw, VpcId=vpc)
    for index, zone in enumerate(zones):
        letter = zone[-1]
        net.public[zone] = create_subnet(ec2, vpc, f"{cidr_prefix}.{index}.0/24", zone, name=f"{letter} public")
        net.private[zone] = create_subnet(ec2, vpc, f"{cidr_prefix}.{100 + index}.0/24", zone, name=f"{letter} private")
    net.public_rtb = create_table(ec2, vpc, net.public.values(), {"GatewayId": net.igw} if net.igw else None)
    if nats == "per_az":
        net.nat = {zone: create_nat(ec2, net.public[zone]) for zone in zones}
    elif nats == "single":
        net.nat = {zones[0]: create_nat(ec2, net.public[zones[0]])}
    for zone in zones:
        nat = net.nat.get(zone) or net.nat.get(zones[0])
        net.private_rtb[zone] = create_table(ec2, vpc, [net.private[zone]], {"NatGatewayId": nat} if nat else None)
    if nats == "regional":
        add_regional_nat(ec2, net)
    net.sg = ec2.create_security_group(GroupName="tasks", Description="ECS tasks with no ingress", VpcId=vpc)["GroupId"]
    return net


def private_subnets(net):
    return [net.private[zone] for zone in net.zones]


def public_subnets(net):
    return [net.public[zone] for zone in net.zones]


def default_acl(ec2, vpc):
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )
    return acls["NetworkAcls"][0]["NetworkAclId"]


# -- running the module --------------------------------------------------------------------------------------------


def run_check(aws, check_mode=False, **params):
    return run_module("network_check", {**aws.module_params(), **params}, check_mode=check_mode)


def task_params(net, subnets=None, assign_public_ip=False, **params):
    return {
        "subnet_ids": subnets if subnets is not None else private_subnets(net),
        "security_group_ids": [net.sg],
        "assign_public_ip": assign_public_ip,
        "fail_on": "never",
        **params,
    }


def codes(result):
    return {finding["code"] for finding in result["findings"]}


def findings_of(result, code):
    return [finding for finding in result["findings"] if finding["code"] == code]


def assert_only(result, *expected):
    """Exactly the codes ``expected`` were found (the test's own broken condition, and nothing else)."""
    assert "findings" in result, result.get("msg")
    assert codes(result) == set(expected), [(f["code"], f["message"]) for f in result["findings"]]
