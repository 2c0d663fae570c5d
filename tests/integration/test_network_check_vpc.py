"""network_check, VPC-wide and address conditions: DNS attributes, one VPC, more than one AZ, free IPs, leaked
Elastic IPs."""

from support.module_runner import run_module
from support.network_check_helpers import (
    NETWORK,
    assert_only,
    build_network,
    create_subnet,
    create_table,
    findings_of,
    run_check,
    spec,
    task_params,
)


def test_dns_support_disabled(aws, ec2):
    net = build_network(ec2)
    ec2.modify_vpc_attribute(VpcId=net.vpc, EnableDnsSupport={"Value": False})

    result = run_check(aws, **task_params(net))

    assert_only(result, "VPC_DNS_SUPPORT_DISABLED")
    (finding,) = findings_of(result, "VPC_DNS_SUPPORT_DISABLED")
    assert (finding["severity"], finding["resource_id"]) == ("error", net.vpc)
    assert "--enable-dns-support" in finding["remediation"]


def test_dns_hostnames_disabled(aws, ec2):
    net = build_network(ec2)
    ec2.modify_vpc_attribute(VpcId=net.vpc, EnableDnsHostnames={"Value": False})

    result = run_check(aws, **task_params(net))

    assert_only(result, "VPC_DNS_HOSTNAMES_DISABLED")
    assert findings_of(result, "VPC_DNS_HOSTNAMES_DISABLED")[0]["severity"] == "warning"


def test_subnets_of_two_vpcs(aws, ec2):
    first = build_network(ec2)
    second = build_network(ec2, cidr_prefix="10.1")

    with aws.recording() as rec:
        result = run_check(
            aws,
            subnet_ids=[first.private[first.zones[0]], second.private[second.zones[1]]],
            security_group_ids=[first.sg],
            fail_on="never",
        )

    assert_only(result, "MIXED_VPCS")
    (finding,) = findings_of(result, "MIXED_VPCS")
    assert finding["resource_id"] == second.private[second.zones[1]]
    assert result["summary"]["vpc_ids"] == sorted([first.vpc, second.vpc])
    # Both VPCs are read with the same batched calls (each filter lists both VPC ids); only the per-VPC DNS
    # attributes are asked twice.
    assert rec.count("DescribeVpcAttribute") == 4
    assert rec.count("DescribeSubnets") == 2 and rec.count("DescribeRouteTables") == 1


def test_security_group_of_another_vpc(aws, ec2):
    net = build_network(ec2)
    other = build_network(ec2, cidr_prefix="10.1")

    result = run_check(aws, **task_params(net, security_group_ids=[other.sg]))

    assert_only(result, "MIXED_VPCS")
    assert findings_of(result, "MIXED_VPCS")[0]["resource_id"] == other.sg


def test_single_availability_zone(aws, ec2):
    net = build_network(ec2, zones=("us-east-1a",))

    result = run_check(aws, **task_params(net))

    assert_only(result, "SINGLE_AZ")
    assert findings_of(result, "SINGLE_AZ")[0]["severity"] == "warning"


def small_private_subnet(ec2, net, cidr="10.0.200.0/28"):
    """A /28 private subnet (11 free addresses) in the first zone, routed through that zone's NAT."""
    zone = net.zones[0]
    subnet = create_subnet(ec2, net.vpc, cidr, zone, name="a private small")
    create_table(ec2, net.vpc, [subnet], {"NatGatewayId": net.nat[zone]})
    return subnet


def test_few_free_addresses(aws, ec2):
    net = build_network(ec2)
    small = small_private_subnet(ec2, net)

    result = run_check(aws, **task_params(net, [small, net.private[net.zones[1]]]))

    assert_only(result, "SUBNET_FEW_FREE_IPS")
    (finding,) = findings_of(result, "SUBNET_FEW_FREE_IPS")
    assert finding["resource_id"] == small and "11 free" in finding["message"]

    relaxed = run_check(aws, **task_params(net, [small, net.private[net.zones[1]]], min_free_ips=11))
    assert_only(relaxed)


def test_no_free_address(aws, ec2):
    net = build_network(ec2)
    small = small_private_subnet(ec2, net)
    for _ in range(11):
        ec2.create_network_interface(SubnetId=small)

    result = run_check(aws, **task_params(net, [small, net.private[net.zones[1]]]))

    assert_only(result, "SUBNET_NO_FREE_IPS")
    assert findings_of(result, "SUBNET_NO_FREE_IPS")[0]["severity"] == "error"
    assert result["subnets"][0]["available_ip_address_count"] == 0


def network_tag(name):
    return spec("elastic-ip", **{"cloudreactor:network": name})


def test_leaked_elastic_ip_of_this_network(aws, ec2):
    net = build_network(ec2)
    leaked = ec2.allocate_address(Domain="vpc", TagSpecifications=network_tag(NETWORK))
    ec2.allocate_address(Domain="vpc", TagSpecifications=network_tag("another"))
    in_use = ec2.allocate_address(Domain="vpc", TagSpecifications=network_tag(NETWORK))
    ec2.create_nat_gateway(SubnetId=net.public[net.zones[0]], AllocationId=in_use["AllocationId"])

    result = run_check(aws, **task_params(net, network_name=NETWORK))

    assert_only(result, "EIP_LEAKED")
    (finding,) = findings_of(result, "EIP_LEAKED")
    assert finding["resource_id"] == leaked["AllocationId"] and leaked["PublicIp"] in finding["message"]
    # Not one the network allocated for a NAT gateway (no component tag): setup_network would not release it.
    assert "setup_network" not in finding["remediation"]
    cost = result["summary"]["monthly_cost"]
    # Three NAT gateways (two per-AZ and the extra one) with their addresses, plus the leaked address.
    assert (cost["nat_gateways"], cost["public_ipv4_addresses"]) == (3, 4)

    without_name = run_check(aws, **task_params(net))
    assert_only(without_name)


def test_all_subnets_of_the_vpc_are_audited_in_zone_and_cidr_order(aws, ec2):
    net = build_network(ec2)

    result = run_check(aws, vpc_id=net.vpc)

    order = [subnet["subnet_id"] for subnet in result["subnets"]]
    a, b = net.zones
    assert order == [net.public[a], net.private[a], net.public[b], net.private[b]]


def test_a_network_found_by_name_with_a_duplicate_vpc(aws, ec2):
    """Runs that raced before the network's claim existed left a second VPC tagged as the network's."""
    built = run_module("network", {**aws.module_params(), "network_name": NETWORK, "az_count": 2})
    assert not built.get("failed"), built.get("msg")
    tags = [{"Key": "cloudreactor:network", "Value": NETWORK}, {"Key": "cloudreactor:component", "Value": "vpc"}]
    duplicate = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])
    vpc_ids = sorted([built["network"]["vpc_id"], duplicate["Vpc"]["VpcId"]])

    result = run_check(aws, network_name=NETWORK)

    assert_only(result, "NETWORK_DUPLICATE_VPCS")
    (finding,) = findings_of(result, "NETWORK_DUPLICATE_VPCS")
    assert (finding["severity"], finding["resource_id"]) == ("error", vpc_ids[0])
    assert vpc_ids[1] in finding["message"] and "setup_network" in finding["remediation"]


def test_a_duplicate_internet_gateway_is_reported_then_deleted_by_the_next_run(aws, ec2):
    """Runs that raced before the network's claim existed each created an internet gateway; one got attached (a VPC
    takes one), the other stayed detached, tagged as the network's."""
    params = {**aws.module_params(), "network_name": NETWORK, "nat_gateways": "none"}
    built = run_module("network", params)
    assert not built.get("failed"), built.get("msg")
    identity = {"cloudreactor:network": NETWORK, "cloudreactor:component": "internet-gateway"}
    created = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", **identity))
    duplicate = created["InternetGateway"]["InternetGatewayId"]
    line = f"deleted duplicate internet gateway {duplicate}"

    result = run_check(aws, network_name=NETWORK)

    assert_only(result, "NETWORK_DUPLICATE_IGW")
    (finding,) = findings_of(result, "NETWORK_DUPLICATE_IGW")
    assert (finding["severity"], finding["resource_id"]) == ("warning", duplicate)
    assert "setup_network" in finding["remediation"] and f"--internet-gateway-id {duplicate}" in finding["remediation"]

    with aws.recording() as rec:
        plan = run_module("network", params, check_mode=True, diff=True)
    assert (plan["changed"], plan["changes"], rec.mutations) == (True, [line], [])
    assert plan["diff"]["before"]["internet_gateway"]["duplicate_internet_gateway_ids"] == [duplicate]

    repaired = run_module("network", params)
    assert (repaired["changed"], repaired["changes"]) == (True, [line]), repaired.get("msg")
    assert not ec2.describe_internet_gateways(Filters=[{"Name": "internet-gateway-id", "Values": [duplicate]}])[
        "InternetGateways"
    ]
    assert repaired["audit"]["findings"] == []

    with aws.recording() as rec:
        again = run_module("network", params)
    assert (again["changed"], rec.mutations) == (False, [])
