"""One error path for every module, and a waiter that fails fast or times out with a reason."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import waiters
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import (
    InvalidInput,
    ResourceFailed,
    WaitTimeout,
)


class ModuleFailed(Exception):
    pass


class RecordingModule:
    """Stands in for AnsibleAWSModule's two failure methods: the thing under test is what they receive."""

    def __init__(self):
        self.failure = None

    def fail_json(self, **kwargs):
        self.failure = kwargs
        raise ModuleFailed

    def fail_json_aws(self, exception, msg=None):
        self.failure = {"msg": msg, "exception": exception}
        raise ModuleFailed


def report(error):
    module = RecordingModule()
    with pytest.raises(ModuleFailed), reported_errors(module):
        raise error
    return module.failure


def test_invalid_input_names_the_option():
    failure = report(InvalidInput("subnet_ids", "subnet-123 is in vpc-2, not vpc-1"))
    assert failure == {"msg": "subnet_ids: subnet-123 is in vpc-2, not vpc-1", "invalid_option": "subnet_ids"}


def test_resource_failure_carries_details():
    failure = report(ResourceFailed("nat-1 failed: Gateway.NotAttached", nat_gateway_id="nat-1"))
    assert failure["nat_gateway_id"] == "nat-1"


def test_aws_errors_name_the_operation():
    error = ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "CreateNatGateway")
    failure = report(error)
    assert failure["msg"] == "EC2 CreateNatGateway failed"
    assert failure["exception"] is error


def test_poll_until_returns_as_soon_as_done(monkeypatch):
    slept = []
    monkeypatch.setattr(waiters.time, "sleep", slept.append)
    answers = iter([(False, "nat-1 pending"), (False, "nat-1 pending"), (True, "ready")])

    assert waiters.poll_until(lambda: next(answers), timeout=60, what="NAT gateways") == "ready"
    assert slept == [1.0, 1.5]


def test_poll_until_times_out_naming_what_is_not_ready():
    with pytest.raises(WaitTimeout, match=r"waiting for NAT gateways; still not ready: nat-1 pending"):
        waiters.poll_until(lambda: (False, "nat-1 pending"), timeout=0, what="NAT gateways")


def test_poll_until_stops_at_once_when_check_raises():
    def check():
        raise ResourceFailed("nat-1 failed")

    with pytest.raises(ResourceFailed):
        waiters.poll_until(check, timeout=600, what="NAT gateways")
