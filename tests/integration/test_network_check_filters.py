"""network_check, traffic filters: the task security groups' egress, and network ACLs evaluated like AWS does
(rule order, first match wins, final deny, both directions) on task subnets, NAT subnets and endpoint subnets."""

import pytest
from support.network_check_helpers import (
    assert_only,
    create_subnet,
    findings_of,
    private_subnets,
    public_subnets,
    run_check,
    task_params,
)

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks.nacl import denials

# -- security groups -----------------------------------------------------------------------------------------------


def everything():
    return [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def tcp(port_from, port_to, cidr):
    return [{"IpProtocol": "tcp", "FromPort": port_from, "ToPort": port_to, "IpRanges": [{"CidrIp": cidr}]}]


def restricted_group(ec2, net, egress):
    group = ec2.create_security_group(GroupName="restricted", Description="restricted", VpcId=net.vpc)["GroupId"]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=everything())
    if egress:
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=egress)
    return group


def test_security_group_egress_limited_to_the_vpc(aws, ec2, net):
    group = restricted_group(ec2, net, tcp(443, 443, "10.0.0.0/16"))

    result = run_check(aws, **task_params(net, security_group_ids=[group]))

    assert_only(result, "SG_NO_HTTPS_EGRESS")
    (finding,) = findings_of(result, "SG_NO_HTTPS_EGRESS")
    assert finding["resource_id"] == group
    assert "only to 10.0.0.0/16" in finding["message"]
    assert sorted(finding["subnet_ids"]) == sorted(private_subnets(net))


def test_security_group_without_any_egress(aws, ec2, net):
    group = restricted_group(ec2, net, None)

    result = run_check(aws, **task_params(net, security_group_ids=[group]))

    assert_only(result, "SG_NO_HTTPS_EGRESS")
    assert "No egress rule covers TCP 443" in result["findings"][0]["message"]


@pytest.mark.parametrize("egress", [tcp(443, 443, "0.0.0.0/0"), tcp(0, 65535, "0.0.0.0/0")])
def test_security_group_egress_that_covers_https(aws, ec2, net, egress):
    group = restricted_group(ec2, net, egress)

    assert_only(run_check(aws, **task_params(net, security_group_ids=[group])))


def test_https_egress_from_a_second_task_group_is_enough(aws, ec2, net):
    closed = restricted_group(ec2, net, None)

    assert_only(run_check(aws, **task_params(net, security_group_ids=[closed, net.sg])))


# -- network ACLs on the emulator ------------------------------------------------------------------------------------


def inbound(number, action, cidr="0.0.0.0/0", *, protocol="-1", ports=None):
    """A network ACL entry for inbound traffic."""
    item = {"RuleNumber": number, "RuleAction": action, "Egress": False, "CidrBlock": cidr, "Protocol": protocol}
    if ports:
        item["PortRange"] = {"From": ports[0], "To": ports[1]}
    return item


def outbound(number, action, cidr="0.0.0.0/0", *, protocol="-1", ports=None):
    """A network ACL entry for outbound traffic."""
    return {**inbound(number, action, cidr, protocol=protocol, ports=ports), "Egress": True}


def custom_acl(ec2, net, subnets, entries):
    """A network ACL with ``entries`` (nothing else but the final deny), associated with ``subnets``."""
    acl = ec2.create_network_acl(VpcId=net.vpc)["NetworkAcl"]["NetworkAclId"]
    for item in entries:
        ec2.create_network_acl_entry(NetworkAclId=acl, **item)
    described = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": list(subnets)}])
    for current in described["NetworkAcls"]:
        for association in current["Associations"]:
            if association["SubnetId"] in subnets:
                ec2.replace_network_acl_association(
                    AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
                )
    return acl


ALLOW_ALL_IN = inbound(100, "allow")
ALLOW_ALL_OUT = outbound(100, "allow")


def test_task_acl_denies_https_out_before_allowing_everything(aws, ec2, net):
    acl = custom_acl(
        ec2,
        net,
        private_subnets(net),
        [ALLOW_ALL_IN, outbound(90, "deny", protocol="6", ports=(443, 443)), ALLOW_ALL_OUT],
    )

    result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_HTTPS_EGRESS")
    (finding,) = findings_of(result, "NACL_BLOCKS_HTTPS_EGRESS")
    assert finding["resource_id"] == acl
    assert "rule 90" in finding["message"]
    assert "below 90" in finding["remediation"]
    assert sorted(finding["subnet_ids"]) == sorted(private_subnets(net))


def test_task_acl_without_ephemeral_ports_in(aws, ec2, net):
    # Inbound only 443 and the upper half of the ephemeral range: replies on 1024-32767 fall to the final deny.
    custom_acl(
        ec2,
        net,
        private_subnets(net),
        [
            inbound(100, "allow", protocol="6", ports=(443, 443)),
            inbound(110, "allow", protocol="6", ports=(32768, 65535)),
            ALLOW_ALL_OUT,
        ],
    )

    result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_EPHEMERAL_INGRESS")
    assert "the final * deny" in result["findings"][0]["message"]


def test_nat_subnet_acl_without_https_in_from_the_task_subnets(aws, ec2, net):
    acl = custom_acl(
        ec2, net, public_subnets(net), [inbound(100, "allow", protocol="6", ports=(1024, 65535)), ALLOW_ALL_OUT]
    )

    result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_HTTPS_INGRESS")
    (finding,) = findings_of(result, "NACL_BLOCKS_HTTPS_INGRESS")
    assert finding["resource_id"] == acl and "NAT gateway" in finding["message"]
    assert sorted(finding["subnet_ids"]) == sorted(private_subnets(net))


def test_nat_subnet_acl_without_ephemeral_ports_out_to_the_task_subnets(aws, ec2, net):
    custom_acl(ec2, net, public_subnets(net), [ALLOW_ALL_IN, outbound(100, "allow", protocol="6", ports=(443, 443))])

    result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_EPHEMERAL_EGRESS")


def test_nat_subnet_acl_is_checked_towards_the_internet_too(aws, ec2, net):
    acl = custom_acl(
        ec2, net, public_subnets(net), [ALLOW_ALL_IN, outbound(100, "allow", "10.0.0.0/16", protocol="-1")]
    )

    result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_HTTPS_EGRESS")
    (finding,) = findings_of(result, "NACL_BLOCKS_HTTPS_EGRESS")
    assert finding["resource_id"] == acl and "to 0.0.0.0/0" in finding["message"]


def test_endpoint_subnet_acl_without_https_in_from_the_task_subnets(aws, ec2, net):
    zone_a, zone_b = net.zones
    endpoint_subnets = [
        create_subnet(ec2, net.vpc, "10.0.50.0/24", zone_a),
        create_subnet(ec2, net.vpc, "10.0.51.0/24", zone_b),
    ]
    group = ec2.create_security_group(GroupName="endpoints", Description="endpoints", VpcId=net.vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=tcp(443, 443, "10.0.0.0/16"))
    endpoint = ec2.create_vpc_endpoint(
        VpcId=net.vpc,
        ServiceName="com.amazonaws.us-east-1.ecr.api",
        VpcEndpointType="Interface",
        SubnetIds=endpoint_subnets,
        SecurityGroupIds=[group],
        PrivateDnsEnabled=True,
    )["VpcEndpoint"]["VpcEndpointId"]
    acl = custom_acl(ec2, net, endpoint_subnets, [inbound(100, "allow", "10.0.0.0/24"), ALLOW_ALL_OUT])

    result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_HTTPS_INGRESS")
    (finding,) = findings_of(result, "NACL_BLOCKS_HTTPS_INGRESS")
    assert finding["resource_id"] == acl and endpoint in finding["message"]


def test_custom_dns_server_behind_an_acl_that_drops_port_53(aws, ec2, net):
    options = ec2.create_dhcp_options(
        DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["10.0.5.10", "AmazonProvidedDNS"]}]
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=options, VpcId=net.vpc)
    custom_acl(
        ec2,
        net,
        private_subnets(net),
        [ALLOW_ALL_IN, outbound(80, "deny", "10.0.5.10/32", protocol="17", ports=(53, 53)), ALLOW_ALL_OUT],
    )

    with aws.recording() as rec:
        result = run_check(aws, **task_params(net))

    assert_only(result, "NACL_BLOCKS_DNS_EGRESS")
    assert "UDP 53 to 10.0.5.10/32" in result["findings"][0]["message"]
    assert rec.count("DescribeDhcpOptions") == 1


def test_custom_dns_server_reachable(aws, ec2, net):
    options = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name-servers", "Values": ["10.0.5.10"]}])
    ec2.associate_dhcp_options(DhcpOptionsId=options["DhcpOptions"]["DhcpOptionsId"], VpcId=net.vpc)

    assert_only(run_check(aws, **task_params(net)))


# -- the evaluator itself ---------------------------------------------------------------------------------------------


def acl_of(*entries):
    return {"NetworkAclId": "acl-1", "Entries": list(entries)}


HTTPS_OUT = (True, "6", "0.0.0.0/0", (443, 443))
EPHEMERAL_IN = (False, "6", "0.0.0.0/0", (1024, 65535))


def test_first_matching_rule_wins():
    assert denials(acl_of(outbound(100, "allow"), outbound(200, "deny")), *HTTPS_OUT) == []
    assert denials(
        acl_of(outbound(100, "allow"), outbound(50, "deny", protocol="6", ports=(443, 443))), *HTTPS_OUT
    ) == [50]


def test_no_matching_rule_falls_to_the_final_deny():
    assert denials(acl_of(), *HTTPS_OUT) == ["*"]
    assert denials(acl_of(outbound(32767, "deny")), *HTTPS_OUT) == ["*"]
    # Other direction, other protocol, other ports: none of them decides.
    unrelated = acl_of(
        inbound(100, "allow"),
        outbound(110, "allow", protocol="17", ports=(443, 443)),
        outbound(120, "allow", protocol="6", ports=(80, 80)),
    )
    assert denials(unrelated, *HTTPS_OUT) == ["*"]


def test_partial_address_ranges_leave_the_rest_to_later_rules():
    only_private = acl_of(outbound(100, "allow", "10.0.0.0/8"))
    assert denials(only_private, *HTTPS_OUT) == ["*"]
    # Two halves of the internet make a whole.
    halves = acl_of(outbound(100, "allow", "0.0.0.0/1"), outbound(110, "allow", "128.0.0.0/1"))
    assert denials(halves, *HTTPS_OUT) == []
    # A deny for one range before the allow: that range is denied by that rule, the rest passes.
    carve = acl_of(outbound(90, "deny", "203.0.113.0/24"), outbound(100, "allow"))
    assert denials(carve, *HTTPS_OUT) == [90]


def test_port_ranges_split_across_rules():
    split = acl_of(
        inbound(100, "allow", protocol="6", ports=(1024, 32767)),
        inbound(110, "allow", protocol="6", ports=(32768, 65535)),
    )
    assert denials(split, *EPHEMERAL_IN) == []
    upper_only = acl_of(inbound(100, "allow", protocol="tcp", ports=(32768, 65535)))
    assert denials(upper_only, *EPHEMERAL_IN) == ["*"]
    hole = acl_of(inbound(90, "deny", protocol="6", ports=(5000, 5000)), inbound(100, "allow"))
    assert denials(hole, *EPHEMERAL_IN) == [90]


def test_ipv6_rules_do_not_decide_ipv4_traffic():
    ipv6_only = acl_of(
        {"RuleNumber": 100, "RuleAction": "allow", "Egress": True, "Ipv6CidrBlock": "::/0", "Protocol": "-1"}
    )
    assert denials(ipv6_only, *HTTPS_OUT) == ["*"]
