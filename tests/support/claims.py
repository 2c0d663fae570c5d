"""Claims on a network (plugins/module_utils/_aws/lease.py) as runs leave them, for tests to start from."""

from datetime import UTC, datetime, timedelta

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.lease import (
    CLAIM_PUBLIC_KEY,
    COMPONENT,
    COMPONENT_TAG,
    HOLDER_TAG,
    LEASE_EXPIRES_TAG,
    NETWORK_TAG,
    TIME_FORMAT,
    claim_name,
)


def crashed_claim(ec2, network, holder="run crashed on ci-runner pid 1"):
    """The claim of a run that crashed a while ago: its lease is over and nobody renews it. Returns its key pair id."""
    claimed = datetime.now(UTC) - timedelta(minutes=10)
    tags = {
        NETWORK_TAG: network,
        COMPONENT_TAG: COMPONENT,
        HOLDER_TAG: holder,
        LEASE_EXPIRES_TAG: (claimed + timedelta(minutes=2)).strftime(TIME_FORMAT),
    }
    return ec2.import_key_pair(
        KeyName=claim_name(network),
        PublicKeyMaterial=CLAIM_PUBLIC_KEY.encode(),
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["KeyPairId"]
