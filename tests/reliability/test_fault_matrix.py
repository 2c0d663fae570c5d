"""The two promises under faults: a network the role built and something broke is reported, then repaired by
running it again; what the user owns is reported and left alone.

One network is built per module (on an emulator of its own, since the shared one is reset between tests), and each test
breaks it one way, starting from the network as it was built: a test finds it so after the test before repaired it, and
a test that fails leaves it otherwise, which the next one notices (its shape, its region's counts and its network ACLs
differ) and builds it anew on the reset emulator, so that no failure cascades. Each test: network_check must name the
fault, the role must repair it (or, for faults in things the role does not own, leave it), network_check must then be
clean, and a further run must change nothing.

Every test runs twice: on a strongly consistent emulator, and on one where each new id is hidden for 2 s (EC2's
eventual consistency, see test_eventual_consistency.py), so that a repair's creates (a NAT gateway, an internet
gateway, a route) are named again before AWS lists them. The role builds each network (and runs its audit on the
NACL fault); the repairs are the network module's, the role's one task that changes anything, run in-process, which
costs far less than a playbook. A fault is injected, and
audited, once everything made before it is listed, and strongly consistent: the repair runs are the ones under test.
The run after the repair is the network module's, recorded: it must make no mutating call.
"""

import pytest
from support import network_faults
from support.module_runner import run_module
from support.network_shape import network_shape, region_counts, wait_until_propagated
from support.playbook_runner import changed_count, run_playbook

from aws_emulator.client import Emulator

NETWORK = "fault-matrix"

ZONE = "us-east-1b"
PROPAGATION_DELAYS = {"consistent": 0.0, "propagation-delay-2s": 2.0}

# What network_check reports for each fault the role repairs (warnings and errors; info findings aside).
REPAIRED = {
    "private_default_route_deleted": {"NO_INTERNET_FOR_CLOUDREACTOR"},
    "private_route_to_igw": {"PRIVATE_SUBNET_ROUTES_TO_IGW", "PUBLIC_SUBNET_NO_PUBLIC_IP"},
    "nat_deleted": {"ROUTE_DEAD_NAT", "EIP_LEAKED"},
    "nat_failed": {"ROUTE_DEAD_NAT", "EIP_LEAKED"},
    "igw_detached": {"IGW_MISSING", "NAT_NOT_IN_PUBLIC_SUBNET"},
    "igw_deleted": {"IGW_MISSING", "NAT_NOT_IN_PUBLIC_SUBNET"},
    "private_subnet_on_public_table": {"PRIVATE_SUBNET_ROUTES_TO_IGW", "PUBLIC_SUBNET_NO_PUBLIC_IP"},
    "private_subnet_on_main_table": {"NO_INTERNET_FOR_CLOUDREACTOR"},
    "public_default_route_deleted": {"NAT_NOT_IN_PUBLIC_SUBNET"},
    "task_sg_egress_revoked": {"SG_NO_HTTPS_EGRESS"},
    "vpc_dns_hostnames_off": {"VPC_DNS_HOSTNAMES_DISABLED"},
    # An address the network allocated for a NAT gateway, now serving nothing: released (one the user gave in
    # nat_allocation_ids, or one without the network's identity tags, never is).
    "eip_leaked": {"EIP_LEAKED"},
}

# Faults in things the role does not own: reported, never "repaired". The VPC's network ACLs are the account's
# (the role creates none, and a deny rule may be deliberate).
REPORTED_ONLY = {
    "nacl_denies_ephemeral": {"NACL_BLOCKS_EPHEMERAL_INGRESS"},
}


class Network:
    def __init__(self, emulator):
        self.emulator = emulator
        self.ec2 = emulator.boto3_client("ec2")
        self.built_state = None

    def build(self):
        assert changed_count(self.setup()) > 0
        assert self.audit() == set()
        self.built_state = self.state()

    def state(self):
        """The network as AWS lists it, ids aside: its shape, the region's counts, the deny rules of its ACLs."""
        (vpc,) = self.ec2.describe_vpcs(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])["Vpcs"]
        return network_shape(self.ec2, vpc["VpcId"], NETWORK), region_counts(self.ec2), _deny_rules(self.ec2)

    def as_built(self):
        """The network as it was built: left so by the test before, or built anew on the reset emulator."""
        if self.state() != self.built_state:
            self.emulator.reset()
            self.build()
        return self

    def setup(self):
        run = run_playbook(self.emulator.endpoint_url, "setup_network.yml", {"fargate_network_name": NETWORK})
        wait_until_propagated(self.emulator)  # the audit, and the next fault, see what the run made
        return run

    def converge(self):
        """The network module run as the role runs it (role defaults); returns its result."""
        result = run_module("network", {**self.emulator.module_params(), "network_name": NETWORK})
        assert not result.get("failed"), result.get("msg")
        wait_until_propagated(self.emulator)
        return result

    def repair(self):
        """The number of changes the repair made."""
        return len(self.converge()["changes"])

    def noop_mutations(self):
        """The mutating calls of a run after the repair (there must be none)."""
        with self.emulator.recording() as recorded:
            assert self.converge()["changed"] is False
        return recorded.mutations

    def break_it(self, fault):
        """Inject ``fault`` as if it happened long ago. Its steps name what they have just created (nat_failed's
        address and NAT gateway), so they run strongly consistent; setup() has waited for the run before them."""
        self.emulator.set_propagation_delay(0)
        try:
            network_faults.FAULTS[fault](self.ec2, NETWORK, ZONE)
        finally:
            self.emulator.set_propagation_delay(self.emulator.default_propagation_delay)

    def task_settings(self):
        def ids(component):
            subnets = self.ec2.describe_subnets(
                Filters=[
                    {"Name": "tag:cloudreactor:network", "Values": [NETWORK]},
                    {"Name": "tag:cloudreactor:component", "Values": [component]},
                ]
            )["Subnets"]
            return sorted(subnet["SubnetId"] for subnet in subnets)

        groups = self.ec2.describe_security_groups(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])
        return ids("subnet-private"), [group["GroupId"] for group in groups["SecurityGroups"]]

    def audit(self):
        subnet_ids, group_ids = self.task_settings()
        result = run_module(
            "network_check",
            {
                **self.emulator.module_params(),
                "subnet_ids": subnet_ids,
                "security_group_ids": group_ids,
                "assign_public_ip": False,
                "network_name": NETWORK,
                "fail_on": "never",
            },
        )
        assert not result.get("failed"), result
        return {finding["code"] for finding in result["findings"] if finding["severity"] != "info"}


# Each variant's network, once built: kept if xdist tears the module's fixture down between two tests of its group
# (it does when a worker runs out of queued tests); its emulator stops when the worker exits.
BUILT = {}


# Each variant's tests share one built network: with `--dist loadgroup` (the Makefile's), xdist sends them all to
# one worker, which builds it once, instead of every worker building both.
@pytest.fixture(
    scope="module",
    params=[
        pytest.param(delay, id=name, marks=pytest.mark.xdist_group(f"fault-matrix-{name}"))
        for name, delay in PROPAGATION_DELAYS.items()
    ],
)
def built_network(request):
    if request.param not in BUILT:
        built = Network(Emulator.start(nat_transition="immediate", propagation_delay=request.param))
        built.build()
        BUILT[request.param] = built
    return BUILT[request.param]


@pytest.fixture
def network(built_network):
    """The variant's network, as it was built."""
    return built_network.as_built()


# What network_check reports, in task context, for each fault of an IPv6-only network (ip_mode ipv6_only: its task
# subnets route ::/0 to the egress-only gateway and 64:ff9b::/96 to the NAT gateway, with DNS64 on).
IPV6_REPAIRED = {
    "ipv6_default_route_deleted": {"IPV6_ONLY_ROUTE_MISSING"},
    "ipv6_route_to_deleted_gateway": {"IPV6_ONLY_ROUTE_MISSING"},
    "eigw_deleted": {"EGRESS_ONLY_GATEWAY_MISSING", "IPV6_ONLY_ROUTE_MISSING"},
    "dns64_off": {"DNS64_DISABLED"},
    "nat64_route_deleted": {"NAT64_ROUTE_MISSING"},
    # An IPv6-only task has no other way out: it has no HTTPS egress at all.
    "task_sg_ipv6_egress_revoked": {"SG_NO_HTTPS_EGRESS"},
}


class Ipv6Network(Network):
    """An IPv6-only network of one zone, built and repaired by the network module in-process (the role's run of the
    module is proven by the IPv4 matrix; what differs here is what the module builds). Strongly consistent only:
    the IPv6 steps create and name ids as the IPv4 ones do, which the other variant proves."""

    PARAMS = {"ip_mode": "ipv6_only", "availability_zones": [ZONE], "nat_gateways": "single"}

    def build(self):
        assert self.converge()["changed"]
        assert self.audit() == set()
        self.built_state = self.state()

    def converge(self):
        result = run_module("network", {**self.emulator.module_params(), "network_name": NETWORK, **self.PARAMS})
        assert not result.get("failed"), result.get("msg")
        return result

    def break_it(self, fault):
        network_faults.IPV6_FAULTS[fault](self.ec2, NETWORK, ZONE)

    def audit(self):
        # One zone, on purpose (a cheaper build): that warning is the layout's, not a fault's.
        return super().audit() - {"SINGLE_AZ"}

    def task_settings(self):
        subnets = self.ec2.describe_subnets(
            Filters=[
                {"Name": "tag:cloudreactor:network", "Values": [NETWORK]},
                {"Name": "tag:cloudreactor:component", "Values": ["subnet-ipv6-only"]},
            ]
        )["Subnets"]
        groups = self.ec2.describe_security_groups(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])
        return [subnet["SubnetId"] for subnet in subnets], [group["GroupId"] for group in groups["SecurityGroups"]]


@pytest.fixture(scope="module", params=[pytest.param(0.0, id="ipv6-only", marks=pytest.mark.xdist_group("fault-ipv6"))])
def built_ipv6_network(request):
    emulator = Emulator.start(nat_transition="immediate", propagation_delay=request.param)
    try:
        built = Ipv6Network(emulator)
        built.build()
        yield built
    finally:
        emulator.stop()


@pytest.fixture
def ipv6_network(built_ipv6_network):
    """The IPv6-only network, as it was built."""
    return built_ipv6_network.as_built()


def test_every_ipv6_fault_is_in_the_matrix():
    assert set(IPV6_REPAIRED) == set(network_faults.IPV6_FAULTS)


@pytest.mark.parametrize("fault", sorted(IPV6_REPAIRED))
def test_ipv6_fault_is_reported_then_repaired(ipv6_network, fault):
    ipv6_network.break_it(fault)
    assert ipv6_network.audit() == IPV6_REPAIRED[fault]

    assert ipv6_network.repair() > 0
    assert ipv6_network.audit() == set()
    assert ipv6_network.noop_mutations() == []


def test_every_fault_is_in_the_matrix():
    assert set(REPAIRED) | set(REPORTED_ONLY) == set(network_faults.FAULTS)


@pytest.mark.parametrize("fault", sorted(REPAIRED))
def test_fault_is_reported_then_repaired(network, fault):
    network.break_it(fault)
    assert network.audit() == REPAIRED[fault]

    assert network.repair() > 0
    assert network.audit() == set()
    assert network.noop_mutations() == []


def test_nacl_deny_is_reported_and_left_to_its_owner(network):
    network.break_it("nacl_denies_ephemeral")
    assert network.audit() == REPORTED_ONLY["nacl_denies_ephemeral"]

    run = network.setup()
    assert run.returncode != 0  # the role's own audit stops the play: tasks there would fail
    assert "NACL_BLOCKS_EPHEMERAL_INGRESS" in run.stdout
    deny_rules = _deny_rules(network.ec2)
    assert len(deny_rules) == 1  # untouched

    acl_id, rule = deny_rules[0]
    network.ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=rule["RuleNumber"], Egress=False)
    assert network.audit() == set()


def _deny_rules(ec2):
    """Deny entries other than the final ``*`` rule (32767) every network ACL has."""
    return [
        (acl["NetworkAclId"], entry)
        for acl in ec2.describe_network_acls()["NetworkAcls"]
        for entry in acl["Entries"]
        if entry["RuleAction"] == "deny" and entry["RuleNumber"] != 32767
    ]
