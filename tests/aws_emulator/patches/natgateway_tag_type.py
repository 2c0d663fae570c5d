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

AWS_RESOURCE_TYPE = "natgateway"
NAT_PREFIX = "nat"


def apply() -> None:
    ec2_utils.EC2_PREFIX_TO_RESOURCE[NAT_PREFIX] = AWS_RESOURCE_TYPE
