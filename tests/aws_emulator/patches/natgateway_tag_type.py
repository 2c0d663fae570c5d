"""DescribeTags reports ResourceType ``natgateway`` for ``nat-...`` ids (AWS), not moto's ``nat-gateway``.

Why: amazon.aws (``describe_ec2_tags`` / ``ensure_ec2_tags``) filters DescribeTags on ``resource-type=natgateway``.
With moto's ``nat-gateway`` that filter never matches, so ``ec2_vpc_nat_gateway`` with tags re-adds them and
reports ``changed`` on every run.

How: moto derives the DescribeTags resource type (output field and ``resource-type`` filter) from the reverse map
``EC2_PREFIX_TO_RESOURCE``. Only that reverse entry is changed, in place (moto.ec2.models.tags holds a reference to
the same dict). ``EC2_RESOURCE_TO_PREFIX["nat-gateway"]`` stays ``"nat"``, so ``random_nat_gateway_id`` still makes
``nat-...`` ids.
"""

from moto.ec2 import utils as ec2_utils

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_nat.py::test_describe_tags_reports_natgateway_resource_type",
    "test_emulator_nat.py::test_amazon_aws_tag_comparison_sees_nat_tags",
)

AWS_RESOURCE_TYPE = "natgateway"
NAT_PREFIX = "nat"


def apply() -> None:
    ec2_utils.EC2_PREFIX_TO_RESOURCE[NAT_PREFIX] = AWS_RESOURCE_TYPE
