"""The retry policies: throttling is retried everywhere; propagation NotFound and release DependencyViolation only
through their own policies, fast first and bounded by the propagation timeout."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import (
    AWS_RETRY,
    PROPAGATION_BACKOFF,
    PROPAGATION_RETRY,
    PROPAGATION_TIMEOUT,
    RELEASE_RETRY,
    longest_wait,
)

VPCS = {"Vpcs": [{"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.0.0.0/16"}]}


@pytest.fixture
def sleeps(monkeypatch):
    """Record backoff sleeps instead of waiting them out."""
    recorded = []
    monkeypatch.setattr(cloud.time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def stubbed_ec2():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_throttling_burst_is_retried_until_it_clears(stubbed_ec2, sleeps):
    client, stubber = stubbed_ec2
    for _ in range(3):
        stubber.add_client_error("describe_vpcs", service_error_code="RequestLimitExceeded", http_status_code=503)
    stubber.add_response("describe_vpcs", VPCS)

    result = RetryingBotoClientWrapper(client, AWS_RETRY).describe_vpcs(aws_retry=True)

    assert result["Vpcs"][0]["VpcId"] == "vpc-0123456789abcdef0"
    assert len(sleeps) == 3


def test_not_found_is_an_answer_not_a_retry(stubbed_ec2, sleeps):
    client, stubber = stubbed_ec2
    stubber.add_client_error("describe_vpcs", service_error_code="InvalidVpcID.NotFound", http_status_code=400)

    with pytest.raises(ClientError, match="InvalidVpcID.NotFound"):
        RetryingBotoClientWrapper(client, AWS_RETRY).describe_vpcs(VpcIds=["vpc-0123456789abcdef0"], aws_retry=True)
    assert sleeps == []


def test_propagation_not_found_is_retried_fast_first(stubbed_ec2, sleeps):
    client, stubber = stubbed_ec2
    stubber.add_client_error("describe_vpcs", service_error_code="InvalidVpcID.NotFound", http_status_code=400)
    stubber.add_client_error("describe_vpcs", service_error_code="InvalidVpcID.NotFound", http_status_code=400)
    stubber.add_response("describe_vpcs", VPCS)

    result = PROPAGATION_RETRY(client.describe_vpcs)(VpcIds=["vpc-0123456789abcdef0"])

    assert result == VPCS
    assert len(sleeps) == 2
    assert sleeps[0] <= 0.25


def test_propagation_retry_leaves_throttling_to_aws_retry(stubbed_ec2, sleeps):
    client, stubber = stubbed_ec2
    stubber.add_client_error("describe_vpcs", service_error_code="InternalError", http_status_code=500)

    with pytest.raises(ClientError, match="InternalError"):
        PROPAGATION_RETRY(client.describe_vpcs)()
    assert sleeps == []


def test_release_retry_retries_dependency_violation_only(stubbed_ec2, sleeps):
    client, stubber = stubbed_ec2
    stubber.add_client_error("delete_subnet", service_error_code="DependencyViolation", http_status_code=400)
    stubber.add_response("delete_subnet", {})
    stubber.add_client_error("delete_subnet", service_error_code="InvalidSubnetID.NotFound", http_status_code=400)

    RELEASE_RETRY(client.delete_subnet)(SubnetId="subnet-0123456789abcdef0")
    with pytest.raises(ClientError, match="InvalidSubnetID.NotFound"):
        RELEASE_RETRY(client.delete_subnet)(SubnetId="subnet-0123456789abcdef0")
    assert len(sleeps) == 1


def test_propagation_retries_stop_at_the_propagation_timeout():
    assert 0.95 * PROPAGATION_TIMEOUT <= longest_wait(**PROPAGATION_BACKOFF) <= PROPAGATION_TIMEOUT


def test_retries_give_up_and_raise_the_last_error(stubbed_ec2, sleeps):
    client, stubber = stubbed_ec2
    for _ in range(10):
        stubber.add_client_error("describe_vpcs", service_error_code="RequestLimitExceeded", http_status_code=503)

    with pytest.raises(ClientError, match="RequestLimitExceeded"):
        RetryingBotoClientWrapper(client, AWS_RETRY).describe_vpcs(aws_retry=True)
    assert len(sleeps) == 9
    assert max(sleeps) <= 20
