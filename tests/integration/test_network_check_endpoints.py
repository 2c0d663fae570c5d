"""network_check, VPC endpoints: the endpoint-only alternative to a NAT gateway (and why CloudReactor still needs
the internet), interface endpoints in too few zones, interface endpoint security groups that drop 443."""

from support.network_check_helpers import (
    assert_only,
    build_network,
    findings_of,
    private_subnets,
    run_check,
    task_params,
)

REGION = "us-east-1"


def https_from(cidr=None, group=None):
    permission = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        permission["UserIdGroupPairs"] = [{"GroupId": group}]
    return [permission]


def endpoint_group(ec2, net, cidr="10.0.0.0/16", name="endpoints"):
    group = ec2.create_security_group(GroupName=name, Description="VPC endpoints", VpcId=net.vpc)["GroupId"]
    if cidr:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=https_from(cidr))
    return group


def interface_endpoint(ec2, net, service, subnets, group, **settings):
    """An interface endpoint with private DNS on, as a task needs it; ``settings``: CreateVpcEndpoint parameters that
    differ."""
    request = {
        "VpcId": net.vpc,
        "ServiceName": f"com.amazonaws.{REGION}.{service}",
        "VpcEndpointType": "Interface",
        "SubnetIds": list(subnets),
        "SecurityGroupIds": [group],
        "PrivateDnsEnabled": True,
    }
    return ec2.create_vpc_endpoint(**request | settings)["VpcEndpoint"]["VpcEndpointId"]


def s3_gateway(ec2, net, tables):
    return ec2.create_vpc_endpoint(
        VpcId=net.vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway", RouteTableIds=list(tables)
    )["VpcEndpoint"]["VpcEndpointId"]


def endpoint_only_network(ec2, services=("ecr.api", "ecr.dkr", "logs"), s3_zones=None):
    """Private subnets without a NAT gateway, with interface endpoints in both private subnets and the s3 gateway
    endpoint on the private route tables of ``s3_zones`` (default: all)."""
    net = build_network(ec2, nats="none")
    group = endpoint_group(ec2, net)
    for service in services:
        interface_endpoint(ec2, net, service, private_subnets(net), group)
    zones = net.zones if s3_zones is None else s3_zones
    if zones:
        s3_gateway(ec2, net, [net.private_rtb[zone] for zone in zones])
    return net


def test_complete_endpoint_set_pulls_the_image_but_cloudreactor_still_needs_the_internet(aws, ec2):
    net = endpoint_only_network(ec2)

    result = run_check(aws, **task_params(net))

    assert_only(result, "NO_INTERNET_FOR_CLOUDREACTOR")
    for subnet in result["subnets"]:
        assert subnet["kind"] == "private_endpoints"
        assert (subnet["reaches_internet"], subnet["can_pull_image"]) == (False, True)
        endpoint_hops = [hop for hop in subnet["egress_path"] if hop["type"] == "vpc_endpoint"]
        assert [hop["detail"] for hop in endpoint_hops] == ["ecr.api", "ecr.dkr", "s3", "logs"]
        assert all(hop["healthy"] for hop in endpoint_hops)
    assert "can pull its image through VPC endpoints" in result["findings"][0]["message"]


def test_incomplete_endpoint_set(aws, ec2):
    net = endpoint_only_network(ec2, services=("ecr.api", "logs"), s3_zones=[ZONE_A := "us-east-1a"])

    result = run_check(aws, **task_params(net, services=["secretsmanager"]))

    assert_only(result, "ENDPOINTS_INCOMPLETE", "NO_INTERNET_FOR_CLOUDREACTOR")
    incomplete = {f["resource_id"]: f for f in findings_of(result, "ENDPOINTS_INCOMPLETE")}
    assert set(incomplete) == set(net.private_rtb.values())
    zone_b = next(zone for zone in net.zones if zone != ZONE_A)
    message_a = incomplete[net.private_rtb[ZONE_A]]["message"]
    message_b = incomplete[net.private_rtb[zone_b]]["message"]
    assert "ecr.dkr" in message_a and "secretsmanager" in message_a and "s3:" not in message_a
    assert "s3:" in message_b
    assert "CloudReactor itself still needs the internet" in message_a
    assert not any(subnet["can_pull_image"] for subnet in result["subnets"])


def test_interface_endpoint_without_private_dns_does_not_count(aws, ec2):
    net = endpoint_only_network(ec2, services=("ecr.api", "logs"))
    group = endpoint_group(ec2, net, name="no-dns")
    interface_endpoint(ec2, net, "ecr.dkr", private_subnets(net), group, PrivateDnsEnabled=False)

    result = run_check(aws, **task_params(net))

    assert_only(result, "ENDPOINTS_INCOMPLETE", "NO_INTERNET_FOR_CLOUDREACTOR")
    assert all("private DNS off" in f["message"] for f in findings_of(result, "ENDPOINTS_INCOMPLETE"))


def test_awslogs_not_used_needs_no_logs_endpoint(aws, ec2):
    net = endpoint_only_network(ec2, services=("ecr.api", "ecr.dkr"))

    with_logs = run_check(aws, **task_params(net))
    without_logs = run_check(aws, **task_params(net, uses_awslogs=False))

    assert_only(with_logs, "ENDPOINTS_INCOMPLETE", "NO_INTERNET_FOR_CLOUDREACTOR")
    assert "logs:" in findings_of(with_logs, "ENDPOINTS_INCOMPLETE")[0]["message"]
    assert_only(without_logs, "NO_INTERNET_FOR_CLOUDREACTOR")


def test_interface_endpoint_missing_from_a_task_zone(aws, ec2):
    net = build_network(ec2)
    zone_a, zone_b = net.zones
    endpoint = interface_endpoint(ec2, net, "ecr.api", [net.private[zone_a]], endpoint_group(ec2, net))

    result = run_check(aws, **task_params(net))

    assert_only(result, "ENDPOINT_NOT_IN_AZ")
    (finding,) = findings_of(result, "ENDPOINT_NOT_IN_AZ")
    assert finding["resource_id"] == endpoint
    assert finding["subnet_ids"] == [net.private[zone_b]]


def test_endpoint_security_group_without_https_from_tasks_breaks_even_nat_subnets(aws, ec2):
    net = build_network(ec2)
    closed = endpoint_group(ec2, net, cidr=None)
    endpoint = interface_endpoint(ec2, net, "ecr.dkr", private_subnets(net), closed)

    result = run_check(aws, **task_params(net))

    assert_only(result, "ENDPOINT_SG_BLOCKS_HTTPS")
    (finding,) = findings_of(result, "ENDPOINT_SG_BLOCKS_HTTPS")
    assert finding["resource_id"] == endpoint
    assert sorted(finding["subnet_ids"]) == sorted(private_subnets(net))

    # Allowing 443 from the task security group is enough.
    ec2.authorize_security_group_ingress(
        GroupId=closed,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": net.sg}]}
        ],
    )
    assert_only(run_check(aws, **task_params(net)))


def test_an_s3_gateway_endpoint_alone_is_no_endpoint_design(aws, ec2):
    """The S3 gateway endpoint the role puts on every table: a private table that lost its default route has no way
    out, and the fix is that route, not more endpoints."""
    net = build_network(ec2, nats="none")
    s3_gateway(ec2, net, net.private_rtb.values())

    result = run_check(aws, **task_params(net))

    assert_only(result, "NO_INTERNET_FOR_CLOUDREACTOR")
    assert {subnet["kind"] for subnet in result["subnets"]} == {"isolated"}
