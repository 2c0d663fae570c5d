"""Identity tags decide what the collection may touch; these tests pin their meaning."""

from ansible_collections.cloudreactor.aws.plugins.module_utils._model import tagging


def as_resource(tags):
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


def test_identity_tags_name_network_component_and_az():
    assert tagging.identity_tags("prod", "nat-gateway", az="us-east-1a") == {
        "cloudreactor:network": "prod",
        "cloudreactor:component": "nat-gateway",
        "cloudreactor:az": "us-east-1a",
    }


def test_identity_wins_over_user_tags_and_name_is_kept_when_user_sets_one():
    tags = tagging.desired_tags(
        "prod", "vpc", user_tags={"cloudreactor:network": "other", "Name": "mine", "team": "data"}, name="prod-vpc"
    )
    assert tags == {
        "cloudreactor:network": "prod",
        "cloudreactor:component": "vpc",
        "Name": "mine",
        "team": "data",
    }


def test_identity_filters_select_by_tag():
    assert tagging.identity_filters("prod", "subnet-public", az="us-east-1b") == [
        {"Name": "tag:cloudreactor:network", "Values": ["prod"]},
        {"Name": "tag:cloudreactor:component", "Values": ["subnet-public"]},
        {"Name": "tag:cloudreactor:az", "Values": ["us-east-1b"]},
    ]


def test_is_ours_requires_the_same_network_and_component():
    nat = as_resource(tagging.identity_tags("prod", "nat-gateway"))
    assert tagging.is_ours(nat, "prod")
    assert tagging.is_ours(nat, "prod", "nat-gateway")
    assert not tagging.is_ours(nat, "staging")
    assert not tagging.is_ours(nat, "prod", "elastic-ip")
    assert not tagging.is_ours({"NatGatewayId": "nat-1"}, "prod")


def test_tag_specifications_carry_identity_on_create():
    spec = tagging.tag_specifications("natgateway", tagging.identity_tags("prod", "nat-gateway"))
    assert spec == [
        {
            "ResourceType": "natgateway",
            "Tags": [
                {"Key": "cloudreactor:network", "Value": "prod"},
                {"Key": "cloudreactor:component", "Value": "nat-gateway"},
            ],
        }
    ]


def test_purge_removes_only_what_is_neither_desired_nor_identity_nor_reserved():
    current = {
        "Name": "prod-vpc",
        "cloudreactor:network": "prod",
        "cloudreactor:note": "x",
        "aws:by": "AWS",
        "old": "1",
    }
    desired = tagging.desired_tags("prod", "vpc", {"team": "data"}, name="prod-vpc")
    changes = tagging.tag_changes(current, desired, purge=True)
    assert changes == ({"cloudreactor:component": "vpc", "team": "data"}, ["old"])
    assert tagging.tags_after(current, changes) == {**desired, "cloudreactor:note": "x", "aws:by": "AWS"}
    assert tagging.tag_changes(current, desired, purge=False).to_unset == []


def test_purge_applies_only_when_tags_are_given():
    assert tagging.purges({}, True)
    assert not tagging.purges(None, True)
    assert not tagging.purges({"team": "data"}, False)


def test_no_changes_is_false_and_user_tag_values_become_strings():
    desired = tagging.desired_tags("prod", "vpc", {"cost_center": 42}, name="prod-vpc")
    assert desired["cost_center"] == "42"
    assert not tagging.tag_changes(desired, desired, purge=True)
