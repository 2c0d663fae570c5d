"""The network claim (plugins/module_utils/_aws/lease.py) against the emulator: taken once, waited for, broken by id
once its lease has run out (also when its holder was a real process killed while holding it), released by id."""

import multiprocessing
import os
import signal
from datetime import UTC, datetime, timedelta

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from support.claims import crashed_claim

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.lease import (
    HOLDER_TAG,
    LEASE_EXPIRES_TAG,
    VPC_TAG,
    ClaimHeld,
    NetworkClaim,
    claim_name,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until

NETWORK = "leased"


def client(aws):
    return RetryingBotoClientWrapper(aws.boto3_client("ec2"), AWS_RETRY)


def claims(ec2):
    pairs = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [claim_name(NETWORK)]}])["KeyPairs"]
    return [(pair["KeyPairId"], {tag["Key"]: tag["Value"] for tag in pair.get("Tags") or []}) for pair in pairs]


def test_take_tags_the_holder_and_release_frees_the_name(aws, ec2):
    claim = NetworkClaim(client(aws), NETWORK, lease=60, holder="run a")
    claim.take(timeout=0, vpc_id="vpc-1")
    ((pair_id, tags),) = claims(ec2)
    assert (pair_id, tags[HOLDER_TAG], tags[VPC_TAG]) == (claim.key_pair_id, "run a", "vpc-1")
    claim.release()
    assert claims(ec2) == []


def test_a_held_claim_is_waited_for_then_reported_with_its_holder(aws, ec2):
    holder = NetworkClaim(client(aws), NETWORK, lease=60, holder="run a")
    holder.take(timeout=0)
    holder.record_vpc("vpc-0123")
    waiter = NetworkClaim(client(aws), NETWORK, lease=60, holder="run b")
    with pytest.raises(ClaimHeld) as raised:
        waiter.take(timeout=0.5)
    held = raised.value.details["claim_held"]
    assert (held["holder"], held["key_pair_id"]) == ("run a", holder.key_pair_id)
    assert held["since"] < held["lease_expires"]  # not renewed yet: a lease from its creation, by AWS's clock
    assert f"delete-key-pair --key-pair-id {holder.key_pair_id}" in str(raised.value)
    assert waiter.previous_vpc_id == "vpc-0123"  # what the next holder looks up first

    holder.release()
    waiter.take(timeout=5)
    assert [pair_id for pair_id, _tags in claims(ec2)] == [waiter.key_pair_id]
    waiter.release()


def test_a_release_after_the_claim_was_broken_keeps_the_new_holders(aws, ec2):
    stale = NetworkClaim(client(aws), NETWORK, lease=60, holder="run a")
    stale.key_pair_id = crashed_claim(ec2, NETWORK, holder="run a")  # its renewals failed: its lease ran out
    taker = NetworkClaim(client(aws), NETWORK, lease=60, holder="run b")
    taker.take(timeout=5)
    assert taker.broken == [stale.key_pair_id]
    stale.release()  # the run that overran its lease ends: it deletes its own claim only
    assert [pair_id for pair_id, _tags in claims(ec2)] == [taker.key_pair_id]
    taker.release()


def test_the_holder_renews_its_lease_while_it_runs(aws, ec2):
    holder = NetworkClaim(client(aws), NETWORK, lease=3, holder="run a")
    holder.take(timeout=0)

    def renewed_after(earlier):
        expiry = claims(ec2)[0][1].get(LEASE_EXPIRES_TAG, "")
        return expiry > earlier, expiry

    first_expiry = poll_until(lambda: renewed_after(""), timeout=10, what="first renewal")
    poll_until(lambda: renewed_after(first_expiry), timeout=10, what="second renewal")
    waiter = NetworkClaim(client(aws), NETWORK, lease=3, holder="run b")
    with pytest.raises(ClaimHeld):
        waiter.take(timeout=4)  # longer than the lease: renewed, it is never broken
    holder.release()


def _clock_off_by(minutes):
    return lambda: datetime.now(UTC) + timedelta(minutes=minutes)


@pytest.mark.parametrize(("holder_clock", "waiter_clock"), [(-10, 0), (0, 10)], ids=["holder-behind", "waiter-ahead"])
def test_a_live_claim_is_not_broken_whatever_the_machines_clocks_say(aws, ec2, holder_clock, waiter_clock):
    """Runs on two machines whose clocks disagree by 10 minutes: the claim's times are AWS's, so the waiter neither
    breaks the live claim before its first renewal nor after it."""
    holder = NetworkClaim(client(aws), NETWORK, lease=3, holder="run a", local_clock=_clock_off_by(holder_clock))
    holder.take(timeout=0)
    waiter = NetworkClaim(client(aws), NETWORK, lease=3, holder="run b", local_clock=_clock_off_by(waiter_clock))
    with pytest.raises(ClaimHeld):
        waiter.take(timeout=4)  # longer than the lease: the holder renews it in AWS's time
    assert waiter.broken == []
    assert [pair_id for pair_id, _tags in claims(ec2)] == [holder.key_pair_id]
    holder.release()


def _hold_until_killed(aws, taken):
    NetworkClaim(client(aws), NETWORK, lease=1, holder=f"run killed pid {os.getpid()}").take(timeout=0)
    taken.set()
    signal.pause()


def test_a_killed_runs_claim_expires_and_the_next_run_takes_over(aws, ec2):
    context = multiprocessing.get_context("fork")
    taken = context.Event()
    process = context.Process(target=_hold_until_killed, args=(aws, taken))
    process.start()
    assert taken.wait(60)
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    ((killed_id, _tags),) = claims(ec2)

    successor = NetworkClaim(client(aws), NETWORK, lease=60, holder="run b")
    successor.take(timeout=30)

    assert successor.broken == [killed_id]
    assert [pair_id for pair_id, _tags in claims(ec2)] == [successor.key_pair_id]
    successor.release()


@pytest.mark.parametrize("propagation_delay", [1.0], indirect=True)
def test_a_claim_released_through_the_propagation_delay_is_taken_once_the_name_is_free(aws, ec2, propagation_delay):
    holder = NetworkClaim(client(aws), NETWORK, lease=60, holder="run a")
    holder.take(timeout=0)
    holder.release()
    successor = NetworkClaim(client(aws), NETWORK, lease=60, holder="run b")
    successor.take(timeout=30)  # the deleted claim lingers (listed, name refused) for the delay
    aws.set_propagation_delay(0)
    assert [pair_id for pair_id, _tags in claims(ec2)] == [successor.key_pair_id]
    successor.release()
