"""The network through EC2's eventual consistency: every new id is invisible for L seconds (NotFound when named, left
out of describes) and deletes wait on released addresses (the emulator's propagation delay, proven in
tests/emulator/test_emulator_consistency.py).

A build must trust its own create answers, retry what names its new ids, and never create twice; a teardown must
wait out DependencyViolation while the NAT gateways' addresses are released. After each build the region holds one
of everything and the audit is clean; a rerun changes nothing; a teardown leaves nothing.
"""

import pytest
from module_runner import run_module
from network_shape import one_network_counts, region_counts, wait_until_listed

NETWORK = "eventual"
ZONES = 2


def converge(aws, **params):
    result = run_module("network", {**aws.module_params(), "network_name": NETWORK, "az_count": ZONES, **params})
    assert not result.get("failed"), result.get("msg")
    return result


def assert_clean_audit(result):
    assert result["check"]["summary"]["errors"] == 0, result["check"]["findings"]
    assert result["check"]["summary"]["warnings"] == 0, result["check"]["findings"]


def settled_counts(aws, delay):
    """The region's counts as AWS will list them once everything has propagated (the delay switched off for the
    count, then back on)."""
    aws.set_propagation_delay(0)
    try:
        return region_counts(aws.boto3_client("ec2"))
    finally:
        aws.set_propagation_delay(delay)


@pytest.mark.parametrize("propagation_delay", [1.0, 2.0, 5.0], indirect=True)
def test_build_rerun_and_teardown_through_propagation_delays(aws, propagation_delay):
    built = converge(aws)
    assert built["changed"]
    assert_clean_audit(built)
    assert settled_counts(aws, propagation_delay) == one_network_counts(ZONES)

    wait_until_listed(aws, built["network"]["security_group_id"])
    with aws.recording() as rec:
        rerun = converge(aws)
    assert (rerun["changed"], rec.mutations) == (False, [])
    assert rerun["network"] == built["network"] | {"findings": rerun["network"]["findings"]}
    assert_clean_audit(rerun)

    removed = converge(aws, state="absent")
    assert removed["changed"]
    counts = settled_counts(aws, propagation_delay)
    assert (counts["vpcs"], counts["internet_gateways"], counts["nat_gateways"], counts["elastic_ips"]) == (0, 0, 0, 0)


@pytest.mark.parametrize("propagation_delay", [2.0], indirect=True)
def test_grow_a_zone_and_switch_to_single_through_a_propagation_delay(aws, propagation_delay):
    built = converge(aws)
    wait_until_listed(aws, built["network"]["security_group_id"])

    grown = converge(aws, az_count=3)
    assert grown["changed"]
    assert_clean_audit(grown)
    assert settled_counts(aws, propagation_delay) == one_network_counts(3)

    single = converge(aws, az_count=3, nat_gateways="single")
    assert single["changed"]
    assert_clean_audit(single)
    assert len(set(single["network"]["nat_gateway_ids"])) == 1
    counts = settled_counts(aws, propagation_delay)
    assert (counts["vpcs"], counts["nat_gateways_usable"], counts["elastic_ips"]) == (1, 1, 1)
