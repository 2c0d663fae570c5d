"""network_layout reads zones and existing subnets, then plans; it never changes anything."""

from support.module_runner import run_module

from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import identity_tags


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def test_new_network_gets_wizard_layout_in_the_first_zones(aws):
    with aws.recording() as rec:
        result = run_module("network_layout", {**aws.module_params(), "network_name": "demo", "az_count": 2})

    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["vpc_id"] is None
    assert result["availability_zones"] == ["us-east-1a", "us-east-1b"]
    assert [(s["public_cidr"], s["private_cidr"]) for s in result["subnets"]] == [
        ("10.0.0.0/20", "10.0.16.0/20"),
        ("10.0.32.0/20", "10.0.48.0/20"),
    ]
    assert rec.mutations == []


def test_existing_network_keeps_its_zones_and_cidrs_and_avoids_foreign_subnets(aws):
    ec2 = aws.boto3_client("ec2")
    vpc_id = ec2.create_vpc(
        CidrBlock="10.9.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": tag_list(identity_tags("demo", "vpc"))}],
    )["Vpc"]["VpcId"]
    ours = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.9.0.0/20",
        AvailabilityZone="us-east-1c",
        TagSpecifications=[
            {"ResourceType": "subnet", "Tags": tag_list(identity_tags("demo", "subnet-public", az="us-east-1c"))}
        ],
    )["Subnet"]["SubnetId"]
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.16.0/24", AvailabilityZone="us-east-1a")

    result = run_module("network_layout", {**aws.module_params(), "network_name": "demo", "az_count": 2})

    assert result["vpc_id"] == vpc_id
    assert result["availability_zones"] == ["us-east-1a", "us-east-1c"]
    zone_a, zone_c = result["subnets"]
    assert (zone_c["public_cidr"], zone_c["public_subnet_id"]) == ("10.9.0.0/20", ours)
    assert zone_c["private_cidr"] == "10.9.80.0/20"  # 10.9.16.0/20 overlaps a foreign subnet, zone a took 48
    assert (zone_a["public_cidr"], zone_a["private_cidr"]) == ("10.9.32.0/20", "10.9.48.0/20")


def test_bad_input_fails_before_any_aws_call_naming_the_role_variable(aws):
    params = {
        **aws.module_params(),
        "network_name": "demo",
        "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
        "private_subnet_cidrs": ["10.0.2.0/24", "10.1.0.0/24"],
        "option_prefix": "fargate_network_",
    }
    with aws.recording() as rec:
        result = run_module("network_layout", params)

    assert result["failed"]
    assert result["msg"] == "fargate_network_private_subnet_cidrs: 10.1.0.0/24 is not inside the VPC CIDR 10.0.0.0/16"
    assert rec.actions == []


def test_unknown_zone_and_vpc_are_named(aws):
    result = run_module(
        "network_layout", {**aws.module_params(), "network_name": "demo", "availability_zones": ["us-east-1z"]}
    )
    assert result["msg"].startswith("availability_zones: us-east-1z not available in this region")

    result = run_module("network_layout", {**aws.module_params(), "network_name": "demo", "vpc_id": "vpc-0abc1234"})
    assert result["msg"] == "vpc_id: VPC vpc-0abc1234 does not exist in this region"
