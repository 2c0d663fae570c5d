"""create_once and the ``no_resend`` EC2 client: a create whose answer is lost makes one resource, not two.

A proxy (tests/support/aws_proxy.py) in front of the emulator carries a create out and then drops the connection
instead of answering, drops a create before the emulator sees it, or refuses it with throttling. What AWS really
received is what the proxy forwarded.
"""

import pytest
from ansible.module_utils.testing import patch_module_args
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from support.aws_proxy import AwsProxy, LoseAnswer
from support.module_runner import run_module

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import creates
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once, outcome_unknown
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import CachedReads
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import identity_filters, identity_tags

NETWORK = "creates"
IGW_TAGS = identity_tags(NETWORK, "internet-gateway")
IGW_TAG_SPECIFICATIONS = [
    {"ResourceType": "internet-gateway", "Tags": [{"Key": key, "Value": value} for key, value in IGW_TAGS.items()]}
]


class ScriptedProxy(AwsProxy):
    """An AwsProxy that answers the first requests of ``action`` as ``script`` says, one decision per request:
    ``drop`` closes the connection without forwarding (the emulator never sees the call), ``lose`` forwards it and
    closes the connection instead of answering, a throttle kind refuses it. Later requests are the plain proxy's."""

    def __init__(self, upstream_url, action, script):
        super().__init__(upstream_url)
        self.action = action
        self.script = list(script)

    def _decide_ec2(self, call):
        if call.action != self.action or not self.script:
            return super()._decide_ec2(call)
        self.ec2_requests += 1
        decision = self.script.pop(0)
        if decision == "drop":
            self.dropped.append(call.action)
        elif decision == "lose":
            self.lost.append(call.action)
        else:
            self.injected.append((call.action, decision))
        return decision


def module_at(aws, endpoint_url, **params):
    """A module of ours, as Ansible would build it, whose clients talk to ``endpoint_url``."""
    with patch_module_args({**aws.module_params(), "endpoint_url": endpoint_url, **params}):
        return network_module({})


def our_gateways(ec2):
    return ec2.describe_internet_gateways(Filters=identity_filters(NETWORK, "internet-gateway"))["InternetGateways"]


def gateway_finder(client):
    """find_created for a tagged internet gateway: the one carrying IGW_TAGS, if any. Records each call."""

    def find():
        find.calls += 1
        found = client.describe_internet_gateways(Filters=identity_filters(NETWORK, "internet-gateway"))
        gateways = found["InternetGateways"]
        return gateways[0] if gateways else None

    find.calls = 0
    return find


@pytest.fixture
def one_look(monkeypatch):
    """Looks for a lost resource end after the first one finds nothing: these tests count tries and looks against a
    strongly consistent emulator, where a resource that is not listed at once was not created. (How long the looks go
    on through a propagation delay is proven in tests/reliability/test_transient_errors.py.)"""
    monkeypatch.setattr(creates, "LOOK_TIMEOUT", 0.01)


def create_gateway(client, find):
    return create_once(
        client,
        "create_internet_gateway",
        find,
        result_key="InternetGateway",
        TagSpecifications=IGW_TAG_SPECIFICATIONS,
    )


# -- the no_resend client ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("retry_mode", "aws_config"),
    [
        ("standard", None),
        ("legacy", None),
        # The user's aws_config is merged after ours by amazon.aws: its retries must not come back.
        ("standard", {"retries": {"max_attempts": 5}, "connect_timeout": 7}),
    ],
)
def test_no_resend_client_sends_a_dropped_request_once(aws, monkeypatch, retry_mode, aws_config):
    monkeypatch.setenv("AWS_RETRY_MODE", retry_mode)
    extra = {"aws_config": aws_config} if aws_config else {}
    with AwsProxy(aws.endpoint_url, LoseAnswer("CreateInternetGateway")) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url, **extra))
        no_resend = client.no_resend
        assert no_resend.meta.config.retries == {"total_max_attempts": 1, "mode": retry_mode}
        if aws_config:
            assert no_resend.meta.config.connect_timeout == 7  # the user's other settings are kept
            assert client.meta.config.retries["total_max_attempts"] == 6  # the ordinary client keeps the user's
        with pytest.raises(ConnectionClosedError):
            no_resend.create_internet_gateway(TagSpecifications=IGW_TAG_SPECIFICATIONS, aws_retry=True)

    assert proxy.lost == ["CreateInternetGateway"]
    assert proxy.forwarded.count("CreateInternetGateway") == 1
    assert len(our_gateways(aws.boto3_client("ec2"))) == 1


def test_the_ordinary_client_still_resends_a_dropped_request(aws):
    """What the no_resend client is for: the client every other call uses creates a second gateway."""
    with AwsProxy(aws.endpoint_url, LoseAnswer("CreateInternetGateway")) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url))
        client.create_internet_gateway(TagSpecifications=IGW_TAG_SPECIFICATIONS, aws_retry=True)

    assert proxy.forwarded.count("CreateInternetGateway") == 2
    assert len(our_gateways(aws.boto3_client("ec2"))) == 2


def test_ec2_client_builds_the_no_resend_client_only_when_used(aws, monkeypatch):
    module = module_at(aws, aws.endpoint_url)
    built = []
    real_client = module.client

    def recording_client(service, **kwargs):
        built.append(kwargs)
        return real_client(service, **kwargs)

    monkeypatch.setattr(module, "client", recording_client)
    client = ec2_client(module)
    client.describe_vpcs(aws_retry=True)
    assert len(built) == 1

    assert client.no_resend is client.no_resend
    assert len(built) == 2
    assert client.no_resend.meta.config.retries["total_max_attempts"] == 1


# -- create_once -------------------------------------------------------------------------------------------------


def test_lost_answer_returns_the_created_resource_without_resending(aws):
    with AwsProxy(aws.endpoint_url, LoseAnswer("CreateInternetGateway")) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url))
        find = gateway_finder(client)
        igw = create_gateway(client, find)

    (created,) = our_gateways(aws.boto3_client("ec2"))
    assert igw["InternetGatewayId"] == created["InternetGatewayId"]
    assert proxy.lost == ["CreateInternetGateway"]
    assert proxy.forwarded.count("CreateInternetGateway") == 1
    assert find.calls == 1


def test_answered_create_returns_the_response_and_does_not_look(aws):
    with aws.recording() as rec:
        client = ec2_client(module_at(aws, aws.endpoint_url))
        find = gateway_finder(client)
        igw = create_gateway(client, find)

    (created,) = our_gateways(aws.boto3_client("ec2"))
    assert igw["InternetGatewayId"] == created["InternetGatewayId"]
    assert find.calls == 0
    assert rec.actions == ["CreateInternetGateway"]


def test_connection_failure_before_aws_saw_the_call_creates_one_on_the_next_try(aws, one_look):
    with ScriptedProxy(aws.endpoint_url, "CreateInternetGateway", ["drop"]) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url))
        find = gateway_finder(client)
        igw = create_gateway(client, find)

    (created,) = our_gateways(aws.boto3_client("ec2"))
    assert igw["InternetGatewayId"] == created["InternetGatewayId"]
    # Dropped unseen, looked for (nothing), sent again once.
    assert proxy.outcomes == [
        ("CreateInternetGateway", "drop"),
        ("DescribeInternetGateways", "forward"),
        ("CreateInternetGateway", "forward"),
    ]


def test_each_look_asks_aws_even_through_a_read_cache(aws, one_look):
    """A read cache around the client must not answer a look with what it read before: the first look after the
    dropped try finds nothing, the second (after the try whose answer is lost) must see the gateway."""
    with ScriptedProxy(aws.endpoint_url, "CreateInternetGateway", ["drop", "lose"]) as proxy:
        client = CachedReads(ec2_client(module_at(aws, proxy.endpoint_url)))
        find = gateway_finder(client)
        assert find() is None  # the cache now holds "no gateway" for this very request
        igw = create_gateway(client, find)

    (created,) = our_gateways(aws.boto3_client("ec2"))
    assert igw["InternetGatewayId"] == created["InternetGatewayId"]
    assert (proxy.dropped, proxy.lost) == (["CreateInternetGateway"], ["CreateInternetGateway"])
    assert proxy.forwarded.count("CreateInternetGateway") == 1
    assert proxy.forwarded.count("DescribeInternetGateways") == 3


@pytest.mark.parametrize("refusal", ["RequestLimitExceeded", "bare-503"])
def test_refused_create_is_sent_again_without_looking(aws, refusal):
    with ScriptedProxy(aws.endpoint_url, "CreateInternetGateway", [refusal]) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url))
        find = gateway_finder(client)
        create_gateway(client, find)

    assert len(our_gateways(aws.boto3_client("ec2"))) == 1
    assert find.calls == 0
    assert proxy.outcomes == [("CreateInternetGateway", refusal), ("CreateInternetGateway", "forward")]


def test_gives_up_after_a_bounded_number_of_tries(aws, one_look):
    drops = ["drop"] * (creates.MAX_CREATE_ATTEMPTS + 1)
    with ScriptedProxy(aws.endpoint_url, "CreateInternetGateway", drops) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url))
        find = gateway_finder(client)
        with pytest.raises(ConnectionClosedError):
            create_gateway(client, find)

    assert proxy.dropped == ["CreateInternetGateway"] * creates.MAX_CREATE_ATTEMPTS
    assert find.calls == creates.MAX_CREATE_ATTEMPTS
    assert our_gateways(aws.boto3_client("ec2")) == []


def test_failures_that_may_follow_a_carried_out_call_are_outcome_unknown():
    def client_error(code):
        return ClientError({"Error": {"Code": code, "Message": code}}, "CreateInternetGateway")

    assert outcome_unknown(ConnectionClosedError(endpoint_url="https://ec2.amazonaws.com"))
    assert outcome_unknown(ReadTimeoutError(endpoint_url="https://ec2.amazonaws.com"))
    assert outcome_unknown(EndpointConnectionError(endpoint_url="https://ec2.amazonaws.com"))
    assert outcome_unknown(client_error("InternalError"))
    assert outcome_unknown(client_error("504"))
    # AWS's refusals are retried by the no_resend client's own retry policy; real errors are reported.
    assert not outcome_unknown(client_error("RequestLimitExceeded"))
    assert not outcome_unknown(client_error("ServiceUnavailable"))
    assert not outcome_unknown(client_error("InvalidParameterValue"))


# -- the modules -------------------------------------------------------------------------------------------------


def public_subnet(ec2, vpc):
    """A subnet whose default route goes to an attached internet gateway (not ours: the NAT test creates its own)."""
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["SubnetId"])
    return subnet["SubnetId"]


def tagged(ec2, component):
    """Ids of the resources carrying this network's identity tags for ``component``."""
    filters = identity_filters(NETWORK, component)
    if component == "internet-gateway":
        return [igw["InternetGatewayId"] for igw in ec2.describe_internet_gateways(Filters=filters)["InternetGateways"]]
    if component == "route-table":
        return [table["RouteTableId"] for table in ec2.describe_route_tables(Filters=filters)["RouteTables"]]
    return [address["AllocationId"] for address in ec2.describe_addresses(Filters=filters)["Addresses"]]


# module -> the create it makes without a ClientToken of AWS's, and the component that create makes
LOSSY_CREATES = {
    "internet_gateway": ("CreateInternetGateway", "internet-gateway"),
    "route_table": ("CreateRouteTable", "route-table"),
    "nat_gateway": ("AllocateAddress", "elastic-ip"),
}


def reported_id(module, result):
    """The id the module reports for what its lossy create made."""
    if module == "nat_gateway":
        return result["nat_gateways"][0]["allocation_id"]
    return result["internet_gateway_id" if module == "internet_gateway" else "route_table_id"]


@pytest.mark.parametrize("module", sorted(LOSSY_CREATES))
def test_module_whose_create_answer_is_lost_makes_one_resource(aws, ec2, module):
    action, component = LOSSY_CREATES[module]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    if module == "nat_gateway":
        params = {"subnet_ids": [public_subnet(ec2, vpc)]}
    else:
        params = {"vpc_id": vpc, "name": "public"} if module == "route_table" else {"vpc_id": vpc}
    with AwsProxy(aws.endpoint_url, LoseAnswer(action)) as proxy:
        result = run_module(
            module, {**aws.module_params(), "endpoint_url": proxy.endpoint_url, "network_name": NETWORK, **params}
        )

    assert not result.get("failed"), result
    assert proxy.lost == [action]
    assert proxy.forwarded.count(action) == 1
    assert tagged(ec2, component) == [reported_id(module, result)]


def test_looks_go_on_until_the_lost_resource_is_listed(aws, monkeypatch):
    """The first looks find nothing (as while AWS does not list a new resource yet): the create is not sent again
    while the looks go on, and what a later look finds is the result."""
    monkeypatch.setattr(creates, "LOOK_TIMEOUT", 60)
    with ScriptedProxy(aws.endpoint_url, "CreateInternetGateway", ["lose"]) as proxy:
        client = ec2_client(module_at(aws, proxy.endpoint_url))
        find = gateway_finder(client)

        def listed_from_the_fourth_look():
            listed_from_the_fourth_look.looks += 1
            return find() if listed_from_the_fourth_look.looks >= 4 else None

        listed_from_the_fourth_look.looks = 0
        igw = create_gateway(client, listed_from_the_fourth_look)

    (created,) = our_gateways(aws.boto3_client("ec2"))
    assert igw["InternetGatewayId"] == created["InternetGatewayId"]
    assert listed_from_the_fourth_look.looks == 4
    assert proxy.forwarded.count("CreateInternetGateway") == 1
