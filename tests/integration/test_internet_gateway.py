"""cloudreactor.aws.internet_gateway against the emulator: one gateway per VPC, never a duplicate, never a foreign one
touched."""

import pytest
from support.module_runner import run_module

NETWORK = "tasks-test"
OUR_TAGS = {"cloudreactor:network": NETWORK, "cloudreactor:component": "internet-gateway"}


@pytest.fixture
def vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def run(aws, check_mode=False, diff=False, **params):
    return run_module("internet_gateway", {**aws.module_params(), **params}, check_mode=check_mode, diff=diff)


def warnings_of(result):
    """Warning texts (ansible-core 2.19 reports each warning as a structured event)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def tags_dict(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags") or []}


def all_igws(ec2):
    return {igw["InternetGatewayId"]: igw for igw in ec2.describe_internet_gateways()["InternetGateways"]}


def attached_to(igw):
    return [attachment["VpcId"] for attachment in igw.get("Attachments") or []]


def our_igws(ec2):
    return [igw for igw in all_igws(ec2).values() if tags_dict(igw).get("cloudreactor:network") == NETWORK]


def create_igw(ec2, tags=None, attach_to=None):
    kwargs = {}
    if tags:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "internet-gateway", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    igw_id = ec2.create_internet_gateway(**kwargs)["InternetGateway"]["InternetGatewayId"]
    if attach_to:
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=attach_to)
    return igw_id


def test_creates_tagged_gateway_and_attaches_it(aws, ec2, vpc):
    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK, tags={"team": "platform"})

    assert not result.get("failed"), result
    assert result["changed"] is True
    assert result["action"] == "created"
    igw = all_igws(ec2)[result["internet_gateway_id"]]
    assert attached_to(igw) == [vpc]
    assert tags_dict(igw) == {**OUR_TAGS, "Name": f"{NETWORK}-igw", "team": "platform"}
    # Tagged at creation (no separate CreateTags), then attached.
    assert rec.mutations == ["CreateInternetGateway", "AttachInternetGateway"]


def test_rerun_is_a_noop(aws, ec2, vpc):
    first = run(aws, vpc_id=vpc, network_name=NETWORK)

    with aws.recording() as rec:
        second = run(aws, vpc_id=vpc, network_name=NETWORK)

    assert second["changed"] is False
    assert second["action"] == "none"
    assert second["internet_gateway_id"] == first["internet_gateway_id"]
    assert rec.mutations == []
    assert sorted(rec.reads) == ["DescribeInternetGateways", "DescribeVpcs"]


def test_new_user_tag_is_added_to_our_gateway(aws, ec2, vpc):
    first = run(aws, vpc_id=vpc, network_name=NETWORK)

    with aws.recording() as rec:
        second = run(aws, vpc_id=vpc, network_name=NETWORK, tags={"team": "data"})

    assert second["changed"] is True
    assert second["action"] == "tagged"
    assert rec.mutations == ["CreateTags"]
    assert tags_dict(all_igws(ec2)[first["internet_gateway_id"]])["team"] == "data"


def test_adopts_foreign_attached_gateway_untouched(aws, ec2, vpc):
    foreign = create_igw(ec2, tags={"Name": "theirs"}, attach_to=vpc)

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK, tags={"team": "platform"})

    assert result["changed"] is False
    assert result["action"] == "adopted"
    assert result["internet_gateway_id"] == foreign
    assert rec.mutations == []
    assert tags_dict(all_igws(ec2)[foreign]) == {"Name": "theirs"}
    assert len(all_igws(ec2)) == 1


def test_gateway_of_another_network_counts_as_foreign(aws, ec2, vpc):
    other = create_igw(
        ec2,
        tags={"cloudreactor:network": "other", "cloudreactor:component": "internet-gateway"},
        attach_to=vpc,
    )

    result = run(aws, vpc_id=vpc, network_name=NETWORK)

    assert result["action"] == "adopted"
    assert result["internet_gateway_id"] == other
    assert tags_dict(all_igws(ec2)[other])["cloudreactor:network"] == "other"


def test_detached_gateway_of_ours_is_reattached_not_duplicated(aws, ec2, vpc):
    ours = create_igw(ec2, tags=OUR_TAGS)

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK)

    assert result["changed"] is True
    assert result["action"] == "attached"
    assert result["internet_gateway_id"] == ours
    assert rec.count("CreateInternetGateway") == 0
    assert rec.count("AttachInternetGateway") == 1
    assert [igw["InternetGatewayId"] for igw in our_igws(ec2)] == [ours]
    assert attached_to(all_igws(ec2)[ours]) == [vpc]
    # The Name tag it lacked was completed.
    assert tags_dict(all_igws(ec2)[ours])["Name"] == f"{NETWORK}-igw"


def test_detached_duplicates_of_ours_are_deleted_once_one_is_attached(aws, ec2, vpc):
    """Racing runs each created a gateway and none attached: the lowest id is attached, the network's other detached
    ones are deleted; check mode says so and deletes nothing. Another network's and a foreign gateway stay."""
    first, second = sorted(create_igw(ec2, tags=OUR_TAGS) for _ in range(2))
    kept = [
        create_igw(ec2),
        create_igw(ec2, tags={**OUR_TAGS, "cloudreactor:network": "other"}),
        create_igw(ec2, tags=OUR_TAGS, attach_to=ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]),
    ]

    with aws.recording() as rec:
        plan = run(aws, check_mode=True, diff=True, vpc_id=vpc, network_name=NETWORK)
    assert rec.mutations == []
    assert (plan["changed"], plan["action"], plan["deleted_internet_gateway_ids"]) == (True, "attached", [second])
    assert plan["diff"]["before"]["duplicate_internet_gateway_ids"] == [second]
    assert plan["diff"]["after"]["duplicate_internet_gateway_ids"] == []

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK)
    assert rec.mutations == ["AttachInternetGateway", "CreateTags", "DeleteInternetGateway"]
    assert (result["internet_gateway_id"], result["deleted_internet_gateway_ids"]) == (first, [second])
    assert sorted(all_igws(ec2)) == sorted([first, *kept])


def test_our_gateway_attached_to_another_vpc_is_left_alone(aws, ec2, vpc):
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    elsewhere = create_igw(ec2, tags=OUR_TAGS, attach_to=other_vpc)

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK)

    assert result["action"] == "created"
    assert result["internet_gateway_id"] != elsewhere
    assert "DetachInternetGateway" not in rec.mutations
    assert attached_to(all_igws(ec2)[elsewhere]) == [other_vpc]
    assert any(elsewhere in warning for warning in warnings_of(result))


def test_absent_deletes_ours(aws, ec2, vpc):
    created = run(aws, vpc_id=vpc, network_name=NETWORK)["internet_gateway_id"]
    leftover = create_igw(ec2, tags=OUR_TAGS)

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK, state="absent")

    assert result["changed"] is True
    assert result["action"] == "deleted"
    assert result["internet_gateway_id"] is None
    assert result["deleted_internet_gateway_ids"] == sorted([created, leftover])
    assert all_igws(ec2) == {}
    assert rec.mutations.count("DetachInternetGateway") == 1
    assert rec.mutations.count("DeleteInternetGateway") == 2

    with aws.recording() as rec:
        again = run(aws, vpc_id=vpc, network_name=NETWORK, state="absent")
    assert again["changed"] is False
    assert again["action"] == "none"
    assert rec.mutations == []


def test_absent_leaves_foreign_gateway_attached(aws, ec2, vpc):
    foreign = create_igw(ec2, tags={"Name": "theirs"}, attach_to=vpc)

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK, state="absent")

    assert result["changed"] is False
    assert result["action"] == "none"
    assert result["internet_gateway_id"] == foreign
    assert rec.mutations == []
    assert attached_to(all_igws(ec2)[foreign]) == [vpc]
    assert any(foreign in warning and "left attached" in warning for warning in warnings_of(result))
    assert "deprecations" not in result  # the warning reaches Ansible once, not also as a deprecated copy


def test_absent_after_vpc_is_gone_is_not_an_error(aws, ec2, vpc):
    ec2.delete_vpc(VpcId=vpc)

    result = run(aws, vpc_id=vpc, network_name=NETWORK, state="absent")

    assert not result.get("failed"), result
    assert result["changed"] is False


def test_check_mode_creates_nothing(aws, ec2, vpc):
    with aws.recording() as rec:
        result = run(aws, check_mode=True, diff=True, vpc_id=vpc, network_name=NETWORK)

    assert result["changed"] is True
    assert result["action"] == "created"
    assert result["internet_gateway_id"] is None
    assert rec.mutations == []
    assert all_igws(ec2) == {}
    assert result["diff"]["after"]["attached_vpc"] == vpc


def test_check_mode_absent_deletes_nothing(aws, ec2, vpc):
    created = run(aws, vpc_id=vpc, network_name=NETWORK)["internet_gateway_id"]

    with aws.recording() as rec:
        result = run(aws, check_mode=True, vpc_id=vpc, network_name=NETWORK, state="absent")

    assert result["changed"] is True
    assert result["deleted_internet_gateway_ids"] == [created]
    assert rec.mutations == []
    assert attached_to(all_igws(ec2)[created]) == [vpc]


def test_diff_shows_attachment_before_and_after(aws, ec2, vpc):
    created = run(aws, diff=True, vpc_id=vpc, network_name=NETWORK)
    assert created["diff"] == {
        "before": {"internet_gateway_id": None, "attached_vpc": None},
        "after": {"internet_gateway_id": created["internet_gateway_id"], "attached_vpc": vpc},
    }

    deleted = run(aws, diff=True, vpc_id=vpc, network_name=NETWORK, state="absent")
    assert deleted["diff"] == {
        "before": {"internet_gateway_id": created["internet_gateway_id"], "attached_vpc": vpc},
        "after": {"internet_gateway_id": None, "attached_vpc": None},
    }

    without_diff = run(aws, vpc_id=vpc, network_name=NETWORK)
    assert "diff" not in without_diff


@pytest.mark.parametrize("bad_id", ["vpc-123", "subnet-0123456789abcdef0", "vpc-0123456789ABCDEF0", ""])
def test_malformed_vpc_id_fails_before_any_call(aws, bad_id):
    with aws.recording() as rec:
        result = run(aws, vpc_id=bad_id, network_name=NETWORK)

    assert result["failed"] is True
    assert result["msg"].startswith("vpc_id:")
    assert result["invalid_option"] == "vpc_id"
    assert rec.actions == []


def test_unknown_vpc_fails_naming_vpc_id_without_mutation(aws, ec2):
    with aws.recording() as rec:
        result = run(aws, vpc_id="vpc-0123456789abcdef0", network_name=NETWORK)

    assert result["failed"] is True
    assert result["msg"].startswith("vpc_id:")
    assert "does not exist" in result["msg"]
    assert rec.mutations == []
    assert all_igws(ec2) == {}


def test_empty_network_name_is_refused(aws, vpc):
    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=" ")

    assert result["failed"] is True
    assert result["msg"].startswith("network_name:")
    assert rec.actions == []


def test_absent_explains_mapped_public_addresses(aws, ec2, vpc):
    """AWS refuses to detach while the VPC has public addresses mapped: say what to do. The emulator refuses so while
    an address disassociated in the VPC is still being unmapped (its propagation delay), which its clock, held,
    keeps going for the whole run."""
    created = run(aws, vpc_id=vpc, network_name=NETWORK)["internet_gateway_id"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    interface = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    association = ec2.associate_address(AllocationId=allocation, NetworkInterfaceId=interface)["AssociationId"]
    aws.set_propagation_delay(1.0)
    aws.hold_clock()
    ec2.disassociate_address(AssociationId=association)

    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc, network_name=NETWORK, state="absent")

    assert result["failed"] is True
    assert "public addresses" in result["msg"]
    assert "NAT gateways" in result["msg"]
    assert "DependencyViolation" in result["msg"]
    assert rec.mutations == ["DetachInternetGateway"]  # refused: nothing changed
    assert attached_to(all_igws(ec2)[created]) == [vpc]
