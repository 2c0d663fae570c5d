"""Security group names as the network's task security group relies on them
(plugins/module_utils/_resources/security_group.py).

AWS keeps a security group's name unique in its VPC (EC2 API reference, CreateSecurityGroup: "You can't have two
security groups for the same VPC with the same name"): a second create of the name answers ``InvalidGroup.Duplicate``,
so two runs that race to create the task security group end with one, and the one refused adopts it (its proof
against the emulator: tests/reliability/test_eventual_consistency.py). Stock moto already does this like AWS, so no
patch restores it; these tests pin it down, so that a moto upgrade that breaks it is noticed.

The comparison is without regard to case (CreateSecurityGroup, GroupName: "Names are case-insensitive and must be
unique within the VPC"): there stock moto compares names exactly, and patches/security_group_name_case.py makes it
refuse ``Net-Tasks`` beside ``net-tasks`` as AWS does.
"""

import pytest
from botocore.exceptions import ClientError

NAME = "net-tasks"


def create_group(ec2, vpc_id, name=NAME):
    return ec2.create_security_group(GroupName=name, Description="a run's", VpcId=vpc_id)["GroupId"]


def named(ec2, vpc_id, name=NAME):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}]
    return [group["GroupId"] for group in ec2.describe_security_groups(Filters=filters)["SecurityGroups"]]


def new_vpc(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def test_a_second_group_of_one_name_in_one_vpc_answers_duplicate(ec2):
    vpc_id = new_vpc(ec2)
    first = create_group(ec2, vpc_id)
    with pytest.raises(ClientError) as refused:
        create_group(ec2, vpc_id)
    assert refused.value.response["Error"]["Code"] == "InvalidGroup.Duplicate"
    assert named(ec2, vpc_id) == [first]


def test_the_name_may_be_taken_in_another_vpc(ec2):
    first_vpc, second_vpc = new_vpc(ec2), new_vpc(ec2)
    create_group(ec2, first_vpc)
    second = create_group(ec2, second_vpc)
    assert named(ec2, second_vpc) == [second]


def test_a_name_that_differs_only_in_case_answers_duplicate(ec2):
    vpc_id = new_vpc(ec2)
    first = create_group(ec2, vpc_id, "Net-Tasks")
    with pytest.raises(ClientError) as refused:
        create_group(ec2, vpc_id, NAME)
    assert refused.value.response["Error"]["Code"] == "InvalidGroup.Duplicate"
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    assert sorted(group["GroupId"] for group in groups if group["GroupName"] != "default") == [first]
