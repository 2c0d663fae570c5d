"""security_group.reconcile against the emulator: one TCP egress rule, ingress exactly as given, never a
foreign group taken over; and check_ingress_rules' validation of the ``rules`` format."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from support.aws_proxy import AwsProxy

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import security_group
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import PRESENT, Scope
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.security_group import (
    NEW_GROUP,
    SecurityGroup,
    check_ingress_rules,
)

NETWORK = "tasks-test"
NAME = f"{NETWORK}-tasks"
OUR_TAGS = {"cloudreactor:network": NETWORK, "cloudreactor:component": "security-group"}
EGRESS_DESC = "Outbound TCP (ECR, CloudReactor, external APIs)"
HTTPS_FROM_VPC = {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.0.0.0/16", "rule_desc": "https"}


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def client(aws):
    """What a module gets from module.ec2_client: amazon.aws's retrying client (it takes ``aws_retry``)."""
    return RetryingBotoClientWrapper(aws.boto3_client("ec2"), AWS_RETRY)


def ensure(client, vpc_id, *, user_tags=None, purge_tags=True, check_mode=False, **desired):
    scope = Scope(
        client,
        NETWORK,
        warn=print,
        vpc_id=vpc_id,
        tags=user_tags or {"team": "platform"},
        purge_tags=purge_tags,
        check_mode=check_mode,
    )
    desired = {
        "name": NAME,
        "description": f"ECS Fargate tasks of network {NETWORK} (outbound TCP only)",
        "ingress": [],
        **desired,
    }
    return security_group.reconcile(scope, SecurityGroup(**desired), PRESENT).result()


def described(ec2, group_id):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def tags_dict(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags") or []}


def rule(protocol, ports=None, description=None, **source):
    """One single-source rule as :func:`flat` lists them, e.g. ``rule("tcp", (443, 443), CidrIp="10.0.0.0/16")``."""
    found = {"IpProtocol": protocol, **source}
    if ports:
        found["FromPort"], found["ToPort"] = ports
    if description:
        found["Description"] = description
    return found


def ordered(rules):
    return sorted(rules, key=lambda item: sorted((key, str(value)) for key, value in item.items()))


def flat(permissions):
    """Permissions as an ordered list of single-source rules, to compare whatever the grouping."""
    rules = []
    for permission in permissions:
        ports = (permission["FromPort"], permission["ToPort"]) if "FromPort" in permission else None
        for list_key, id_key in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"), ("UserIdGroupPairs", "GroupId")):
            for source in permission.get(list_key) or []:
                rules.append(
                    rule(permission["IpProtocol"], ports, source.get("Description"), **{id_key: source[id_key]})
                )
    return ordered(rules)


TASK_EGRESS = rule("tcp", (0, 65535), EGRESS_DESC, CidrIp="0.0.0.0/0")
HTTPS_RULE = rule("tcp", (443, 443), "https", CidrIp="10.0.0.0/16")


def egress_of(ec2, group_id):
    return flat(described(ec2, group_id)["IpPermissionsEgress"])


def ingress_of(ec2, group_id):
    return flat(described(ec2, group_id)["IpPermissions"])


def tagged_group(ec2, vpc_id, name, tags):
    spec = [{"ResourceType": "security-group", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    kwargs = {"TagSpecifications": spec} if tags else {}
    return ec2.create_security_group(GroupName=name, Description="made elsewhere", VpcId=vpc_id, **kwargs)["GroupId"]


# -- create and rerun ----------------------------------------------------------------------------------------------


def test_creates_tagged_group_with_only_the_tcp_egress_rule(aws, ec2, client, vpc):
    with aws.recording() as rec:
        result = ensure(client, vpc)

    assert result["changed"] is True
    assert result["action"] == "created"
    group_id = result["group_id"]
    group = described(ec2, group_id)
    assert group["GroupName"] == NAME
    assert group["VpcId"] == vpc
    assert egress_of(ec2, group_id) == [TASK_EGRESS]
    assert group["IpPermissions"] == []
    assert tags_dict(group) == {**OUR_TAGS, "Name": NAME, "team": "platform"}
    # Tagged at creation (no CreateTags); AWS's allow-all egress rule replaced; no sleep needed in between.
    assert rec.mutations == ["CreateSecurityGroup", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"]
    assert result["diff"]["before"]["group_id"] is None
    assert result["diff"]["after"]["egress"] == [
        {"proto": "tcp", "from_port": 0, "to_port": 65535, "cidr_ip": "0.0.0.0/0", "rule_desc": EGRESS_DESC}
    ]


def test_default_ipv6_egress_of_an_ipv6_vpc_is_revoked_too(aws, ec2, client):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]

    result = ensure(client, vpc_id)

    assert egress_of(ec2, result["group_id"]) == [TASK_EGRESS]


def test_rerun_is_a_noop_with_one_describe(aws, ec2, client, vpc):
    first = ensure(client, vpc)

    with aws.recording() as rec:
        second = ensure(client, vpc)

    assert second["changed"] is False
    assert second["action"] == "none"
    assert second["group_id"] == first["group_id"]
    assert rec.mutations == []
    assert rec.reads == ["DescribeSecurityGroups"]
    assert second["diff"]["before"] == second["diff"]["after"]


# -- ingress -------------------------------------------------------------------------------------------------------


def test_ingress_is_added_kept_and_purged(aws, ec2, client, vpc):
    group_id = ensure(client, vpc)["group_id"]
    peer = tagged_group(ec2, vpc, "peer", {})
    ingress = [
        HTTPS_FROM_VPC,
        {"ports": [8080, "9000-9010"], "group_id": peer, "rule_desc": "from peer"},
        {"proto": "icmp", "from_port": 8, "to_port": 0, "cidr_ipv6": "2001:DB8::/32"},
        {"proto": "all", "cidr_ip": ["10.1.0.0/16", "10.2.0.0/16"]},
    ]

    with aws.recording() as rec:
        added = ensure(client, vpc, ingress=ingress)

    assert added["changed"] is True
    assert added["action"] == "updated"
    assert rec.mutations == ["AuthorizeSecurityGroupIngress"]
    assert ingress_of(ec2, group_id) == ordered(
        [
            HTTPS_RULE,
            rule("tcp", (8080, 8080), "from peer", GroupId=peer),
            rule("tcp", (9000, 9010), "from peer", GroupId=peer),
            rule("icmp", (8, 0), CidrIpv6="2001:db8::/32"),
            rule("-1", CidrIp="10.1.0.0/16"),
            rule("-1", CidrIp="10.2.0.0/16"),
        ]
    )
    assert egress_of(ec2, group_id) == [TASK_EGRESS]

    with aws.recording() as rec:
        again = ensure(client, vpc, ingress=list(reversed(ingress)))

    assert again["changed"] is False
    assert rec.mutations == []

    with aws.recording() as rec:
        purged = ensure(client, vpc, ingress=[HTTPS_FROM_VPC])

    assert purged["changed"] is True
    assert rec.mutations == ["RevokeSecurityGroupIngress"]
    assert ingress_of(ec2, group_id) == [HTTPS_RULE]
    assert purged["diff"]["after"]["ingress"] == [
        {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.0.0.0/16", "rule_desc": "https"}
    ]

    with aws.recording() as rec:
        emptied = ensure(client, vpc, ingress=[])

    assert emptied["changed"] is True
    assert rec.mutations == ["RevokeSecurityGroupIngress"]
    assert described(ec2, group_id)["IpPermissions"] == []


def test_rule_description_is_updated_in_place(aws, ec2, client, vpc):
    group_id = ensure(client, vpc, ingress=[HTTPS_FROM_VPC])["group_id"]

    with aws.recording() as rec:
        result = ensure(client, vpc, ingress=[{**HTTPS_FROM_VPC, "rule_desc": "https from the VPC"}])

    assert result["changed"] is True
    # No revoke and authorize again: the rule itself never goes away.
    assert rec.mutations == ["UpdateSecurityGroupRuleDescriptionsIngress"]
    assert ingress_of(ec2, group_id)[0]["Description"] == "https from the VPC"


# -- egress repair -------------------------------------------------------------------------------------------------


def test_egress_is_repaired_after_someone_revoked_it_and_added_a_rule(aws, ec2, client, vpc):
    group_id = ensure(client, vpc)["group_id"]
    ec2.revoke_security_group_egress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    ec2.authorize_security_group_egress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )

    with aws.recording() as rec:
        result = ensure(client, vpc)

    assert result["changed"] is True
    assert result["action"] == "updated"
    assert sorted(rec.mutations) == ["AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"]
    assert egress_of(ec2, group_id) == [TASK_EGRESS]
    assert result["diff"]["before"]["egress"] == [
        {"proto": "udp", "from_port": 53, "to_port": 53, "cidr_ip": "0.0.0.0/0"}
    ]


def test_egress_description_changed_by_someone_is_restored(aws, ec2, client, vpc):
    group_id = ensure(client, vpc)["group_id"]
    ec2.update_security_group_rule_descriptions_egress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 0,
                "ToPort": 65535,
                "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "edited"}],
            }
        ],
    )

    with aws.recording() as rec:
        result = ensure(client, vpc)

    assert result["changed"] is True
    assert rec.mutations == ["UpdateSecurityGroupRuleDescriptionsEgress"]
    assert egress_of(ec2, group_id) == [TASK_EGRESS]


# -- tags ----------------------------------------------------------------------------------------------------------


def test_without_purge_a_new_user_tag_is_added_and_other_tags_are_kept(aws, ec2, client, vpc):
    group_id = ensure(client, vpc)["group_id"]
    ec2.create_tags(Resources=[group_id], Tags=[{"Key": "owner", "Value": "someone"}])

    with aws.recording() as rec:
        result = ensure(client, vpc, user_tags={"team": "data"}, purge_tags=False)

    assert result["changed"] is True
    assert result["action"] == "updated"
    assert rec.mutations == ["CreateTags"]
    assert tags_dict(described(ec2, group_id)) == {**OUR_TAGS, "Name": NAME, "team": "data", "owner": "someone"}


def test_purge_removes_the_tags_not_given_and_the_diff_shows_them_gone(aws, ec2, client, vpc):
    group_id = ensure(client, vpc)["group_id"]
    ec2.create_tags(Resources=[group_id], Tags=[{"Key": "owner", "Value": "someone"}])

    with aws.recording() as rec:
        result = ensure(client, vpc, user_tags={"team": "platform"}, purge_tags=True)

    assert rec.mutations == ["DeleteTags"]
    assert result["diff"]["before"]["tags"]["owner"] == "someone"
    assert result["diff"]["after"]["tags"] == {**OUR_TAGS, "Name": NAME, "team": "platform"}
    assert tags_dict(described(ec2, group_id)) == result["diff"]["after"]["tags"]


# -- finding ours, refusing foreign groups ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "foreign_tags",
    [{}, {"cloudreactor:network": "other", "cloudreactor:component": "security-group"}],
    ids=["untagged", "another-network"],
)
def test_foreign_group_with_the_name_is_refused_and_untouched(aws, ec2, client, vpc, foreign_tags):
    foreign = tagged_group(ec2, vpc, NAME, foreign_tags)
    before = described(ec2, foreign)

    with aws.recording() as rec, pytest.raises(InvalidInput) as raised:
        ensure(client, vpc, ingress=[HTTPS_FROM_VPC])

    assert raised.value.option == "security_group_name"
    assert foreign in str(raised.value)
    assert "did not create" in str(raised.value)
    assert rec.mutations == []
    assert described(ec2, foreign) == before


def test_check_mode_also_refuses_the_foreign_group(aws, ec2, client, vpc):
    foreign = tagged_group(ec2, vpc, NAME, {})

    with pytest.raises(InvalidInput) as raised:
        ensure(client, vpc, check_mode=True)

    assert foreign in str(raised.value)


def test_group_of_ours_is_found_by_its_tags_whatever_its_name(aws, ec2, client, vpc):
    ours = tagged_group(ec2, vpc, "renamed-since", OUR_TAGS)

    with aws.recording() as rec:
        result = ensure(client, vpc)

    assert result["group_id"] == ours
    assert "CreateSecurityGroup" not in rec.mutations
    assert egress_of(ec2, ours) == [TASK_EGRESS]
    # The Name tag follows the name the group has: EC2 cannot rename it.
    assert tags_dict(described(ec2, ours))["Name"] == "renamed-since"


def test_group_with_our_tags_in_another_vpc_is_ignored(aws, ec2, client, vpc):
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    elsewhere = tagged_group(ec2, other_vpc, NAME, OUR_TAGS)
    untouched = described(ec2, elsewhere)

    result = ensure(client, vpc)

    assert result["action"] == "created"
    assert result["group_id"] != elsewhere
    assert described(ec2, elsewhere) == untouched


def test_of_several_tagged_groups_the_lowest_id_is_used(aws, ec2, client, vpc):
    groups = sorted(tagged_group(ec2, vpc, f"ours-{index}", OUR_TAGS) for index in range(3))

    results = [ensure(client, vpc)["group_id"] for _ in range(2)]

    assert results == [groups[0], groups[0]]


def ensure_while_the_name_is_taken(aws, ec2, vpc_id, their_name, their_tags):
    """:func:`ensure` through the AWS proxy, while a group named ``their_name`` with ``their_tags`` appears right after
    the check's listing of the VPC's groups, before our CreateSecurityGroup. Returns what ensure returned or raised,
    the group that appeared, and the EC2 actions the run took after its CreateSecurityGroup."""
    taken = []

    def take_the_name(call, status):
        # The check's listing is the one without our tag filters (find_ours' has them).
        if call.action == "DescribeSecurityGroups" and "vpc-id" in call.body and "cloudreactor" not in call.body:
            taken.extend([] if taken else [tagged_group(ec2, vpc_id, their_name, their_tags)])

    params = aws.module_params()
    with AwsProxy(aws.endpoint_url, on_answer=take_the_name) as proxy:
        through_proxy = boto3.client(
            "ec2",
            endpoint_url=proxy.endpoint_url,
            region_name=params["region"],
            aws_access_key_id=params["access_key"],
            aws_secret_access_key=params["secret_key"],
        )
        try:
            outcome = ensure(RetryingBotoClientWrapper(through_proxy, AWS_RETRY), vpc_id)
        except InvalidInput as error:
            outcome = error
    actions = proxy.forwarded.actions
    return outcome, taken[0], actions[actions.index("CreateSecurityGroup") + 1 :]


# AWS holds the name in the VPC without regard to case (CreateSecurityGroup). A group that takes it after the check
# (or that EC2 did not list then) makes CreateSecurityGroup answer InvalidGroup.Duplicate: one look at the VPC's groups
# tells whose it is, where looking for ours would go on until the propagation timeout.
def test_a_foreign_group_taking_the_name_after_the_check_is_refused_at_once(aws, ec2, vpc):
    refused, theirs, after_create = ensure_while_the_name_is_taken(aws, ec2, vpc, NAME.upper(), {})

    assert isinstance(refused, InvalidInput), refused
    assert refused.option == "security_group_name"
    assert theirs in str(refused)
    assert "without regard to case" in str(refused)
    assert after_create == ["DescribeSecurityGroups"]


def test_a_group_of_ours_taking_the_name_after_the_check_is_adopted_at_once(aws, ec2, vpc):
    result, ours, after_create = ensure_while_the_name_is_taken(aws, ec2, vpc, NAME, OUR_TAGS)

    assert result["group_id"] == ours
    assert egress_of(ec2, ours) == [TASK_EGRESS]
    assert after_create.count("DescribeSecurityGroups") == 1, after_create


# -- check mode ----------------------------------------------------------------------------------------------------


def test_check_mode_create_makes_no_call_that_changes_anything(aws, ec2, client, vpc):
    with aws.recording() as rec:
        result = ensure(client, vpc, ingress=[HTTPS_FROM_VPC], check_mode=True)

    assert rec.mutations == []
    assert result["changed"] is True
    assert result["action"] == "created"
    assert result["group_id"] is None
    assert result["diff"]["after"]["group_id"] == NEW_GROUP
    assert result["diff"]["after"]["ingress"] == [
        {"proto": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.0.0.0/16", "rule_desc": "https"}
    ]
    assert ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [NAME]}])["SecurityGroups"] == []


def test_check_mode_on_drift_predicts_the_real_run(aws, ec2, client, vpc):
    group_id = ensure(client, vpc)["group_id"]
    ec2.revoke_security_group_egress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    drifted = described(ec2, group_id)
    wanted = dict(ingress=[HTTPS_FROM_VPC], user_tags={"team": "data"})

    with aws.recording() as rec:
        predicted = ensure(client, vpc, check_mode=True, **wanted)

    assert rec.mutations == []
    assert described(ec2, group_id) == drifted
    assert predicted["changed"] is True
    assert predicted["action"] == "updated"

    done = ensure(client, vpc, **wanted)

    assert done == predicted
    assert ensure(client, vpc, check_mode=True, **wanted)["changed"] is False


# -- validation ----------------------------------------------------------------------------------------------------

GOOD_RULE = {"proto": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": "10.0.0.0/8"}


@pytest.mark.parametrize(
    "bad_rule, expected",
    [
        ("tcp/22", "must be a mapping"),
        ({**GOOD_RULE, "colour": "red"}, "'colour' is not supported"),
        ({**GOOD_RULE, "group_name": "web"}, "use group_id"),
        ({**GOOD_RULE, "icmp_type": 8}, "'icmp_type' is not supported"),
        ({"proto": "tcp", "from_port": 22, "to_port": 22}, "names no source"),
        ({"proto": "tcp", "from_port": 22, "to_port": 22, "cidr_ip": []}, "names no source"),
        ({**GOOD_RULE, "cidr_ip": "10.0.0.300/8"}, "not a valid IPv4 CIDR block"),
        ({**GOOD_RULE, "cidr_ip": "10.0.0.1"}, "not a CIDR block"),
        ({**GOOD_RULE, "cidr_ip": "10.0.0.1/8"}, "has host bits set"),
        ({**GOOD_RULE, "cidr_ip": ["10.0.0.0/8", "::/0"]}, "'::/0' is not a valid IPv4 CIDR block"),
        ({**GOOD_RULE, "cidr_ip": None, "cidr_ipv6": "10.0.0.0/8"}, "not a valid IPv6 CIDR block"),
        ({**GOOD_RULE, "cidr_ip": None, "group_id": "sg-web"}, "is not a sg id"),
        ({**GOOD_RULE, "from_port": 443, "to_port": 80}, "from_port 443 is greater than to_port 80"),
        ({**GOOD_RULE, "to_port": 70000}, "to_port 70000 is not a number from 0 to 65535"),
        ({**GOOD_RULE, "ports": [22]}, "ports cannot be given together with from_port/to_port"),
        ({"ports": ["90-80"], "cidr_ip": "10.0.0.0/8"}, "'90-80' starts above where it ends"),
        ({"ports": ["http"], "cidr_ip": "10.0.0.0/8"}, "'http' is not a port or a range"),
        ({"ports": [], "cidr_ip": "10.0.0.0/8"}, "ports is empty"),
        ({"proto": "tcp", "from_port": 22, "cidr_ip": "10.0.0.0/8"}, "needs from_port and to_port, or ports"),
        ({**GOOD_RULE, "proto": "tcpx"}, "proto 'tcpx' is not tcp"),
        ({**GOOD_RULE, "proto": 300}, "proto 300 is not tcp"),
        ({**GOOD_RULE, "proto": "all"}, "from_port, to_port cannot be given for protocol -1"),
        ({"proto": "icmp", "ports": [8], "cidr_ip": "10.0.0.0/8"}, "ports do not apply to icmp"),
        ({"proto": "icmp", "from_port": -1, "to_port": 3, "cidr_ip": "10.0.0.0/8"}, "needs all codes"),
        ({**GOOD_RULE, "rule_desc": 5}, "rule_desc must be a string"),
        ({**GOOD_RULE, "rule_desc": "another"}, "repeats tcp 22-22 from 10.0.0.0/8 of rule [0]"),
    ],
)
def test_each_validation_error_names_the_rule_and_the_problem(bad_rule, expected):
    with pytest.raises(InvalidInput) as raised:
        check_ingress_rules([GOOD_RULE, bad_rule])

    assert raised.value.option == "security_group_ingress"
    assert str(raised.value).startswith("security_group_ingress: rule [1]: ")
    assert expected in str(raised.value)


def test_rules_that_are_not_a_list_are_refused():
    with pytest.raises(InvalidInput, match="must be a list of rules"):
        check_ingress_rules(GOOD_RULE, option="ingress")


def test_invalid_ingress_fails_before_any_call(aws, client, vpc):
    with aws.recording() as rec, pytest.raises(InvalidInput, match=r"rule \[0\]"):
        ensure(client, vpc, ingress=[{"proto": "tcp", "from_port": 1, "to_port": 2}])

    assert rec.actions == []


def test_rules_format_becomes_single_source_ip_permissions():
    permissions = check_ingress_rules(
        [
            {"ports": ["80", 443], "cidr_ip": "10.0.0.0/8", "rule_desc": "web", "group_id": None},
            {"proto": "6", "from_port": "80", "to_port": "80", "cidr_ip": "10.0.0.0/8", "rule_desc": "web"},
            {"proto": "ALL", "cidr_ipv6": "2001:DB8::/32"},
            {"proto": "icmp", "cidr_ip": "0.0.0.0/0"},
            {"proto": "50", "group_id": ["sg-0123456789abcdef0"]},
        ]
    )

    assert permissions == [
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "web"}],
        },
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "web"}],
        },
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "50", "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef0"}]},
    ]
