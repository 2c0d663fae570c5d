"""Which of a network's route tables of one name is kept (route_table.choose_table), the others being duplicates."""

from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import choose_table


def table(table_id, *subnet_ids, state="associated"):
    associations = [
        {
            "SubnetId": subnet_id,
            "RouteTableAssociationId": f"{table_id}-{subnet_id}",
            "AssociationState": {"State": state},
        }
        for subnet_id in subnet_ids
    ]
    return {"RouteTableId": table_id, "Associations": associations}


def ids(choice):
    kept, duplicates = choice
    return kept and kept["RouteTableId"], [duplicate["RouteTableId"] for duplicate in duplicates]


def test_the_table_on_most_of_the_wanted_subnets_is_kept_whatever_its_id():
    ours = [table("rtb-1", "subnet-a"), table("rtb-2", "subnet-b", "subnet-c"), table("rtb-3")]
    assert ids(choose_table(ours, ["subnet-a", "subnet-b", "subnet-c"])) == ("rtb-2", ["rtb-1", "rtb-3"])


def test_among_equals_the_lowest_id_is_kept():
    ours = [table("rtb-1", "subnet-a"), table("rtb-2", "subnet-b")]
    assert ids(choose_table(ours, ["subnet-a", "subnet-b"])) == ("rtb-1", ["rtb-2"])
    assert ids(choose_table(ours, [])) == ("rtb-1", ["rtb-2"])


def test_only_live_associations_with_wanted_subnets_count():
    ours = [
        table("rtb-1", "subnet-a"),
        table("rtb-2", "subnet-x", "subnet-y"),
        table("rtb-3", "subnet-b", state="disassociated"),
    ]
    assert ids(choose_table(ours, ["subnet-a", "subnet-b"])) == ("rtb-1", ["rtb-2", "rtb-3"])


def test_no_table_no_duplicates():
    assert choose_table([], ["subnet-a"]) == (None, [])
