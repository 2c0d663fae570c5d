# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A claim on one network, arbitrated by AWS: only one run at a time changes a network.

EC2 deduplicates no create of a VPC, internet gateway, Elastic IP, subnet or security group (none takes a
ClientToken): two runs that both look, find nothing and create, make two networks. So a run that changes a network
first takes its claim, and gives it back at the end.

The claim is an EC2 key pair named ``cloudreactor-aws-claim-<network>``. EC2 keeps key pair names unique in a region
of an account (ImportKeyPair of a taken name answers ``InvalidKeyPair.Duplicate``): the create is the arbitration,
and the name carries the network, the region and the account. It is imported (ImportKeyPair) from
:data:`CLAIM_PUBLIC_KEY`, whose private half nobody holds: CreateKeyPair would hand this run a private key that it
would have to keep or destroy. Its tags say who holds it and for how long (:data:`HOLDER_TAG`,
:data:`LEASE_SECONDS_TAG`, :data:`LEASE_EXPIRES_TAG`) and, once known, the network's VPC (:data:`VPC_TAG`). A key
pair costs nothing and needs nothing created beforehand.

* Release is DeleteKeyPair **by KeyPairId**: a run whose claim was broken (its lease ran out) and taken by another
  deletes only its own, never the new holder's.
* While a run holds the claim, a thread of its own renews the lease (CreateTags on the claim) every third of it, so
  a run may take as long as it needs. A run that crashed stops renewing; once its lease has expired, the next run
  deletes that claim by its id and takes its own. Two runs breaking one stale claim at once delete the same id;
  then one of their creates wins.
* A run that finds the claim taken waits for it (:meth:`NetworkClaim.take`), reading the holder's tags as it goes:
  the VPC id the holder recorded is where this run must look, even while EC2 does not list that VPC by its tags yet
  (EC2 API reference, "Eventual consistency").
* A deleted claim may still be listed, and its name still refused, for a moment (eventual consistency again): the
  waiter simply tries again.
* Runs on different machines do not share a clock, so every time on the claim is AWS's: a claim's lease first runs
  from its ``CreateTime``, which AWS sets (the holder tags the lease's length, :data:`LEASE_SECONDS_TAG`); each
  renewal then writes the lease's end (:data:`LEASE_EXPIRES_TAG`) by the clock of AWS's last answer
  (:class:`AwsClock`), and a waiter compares it with the clock of the answer that listed the claim.

docs/reliability.md ("Concurrent runs") weighs this against SSM Parameter Store's ``PutParameter Overwrite=false``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import typing
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    BotoCoreError = ClientError = ()

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

CLAIM_PREFIX = "cloudreactor-aws-claim-"
# An Ed25519 public key made for the claim: the process that made it printed this public half and exited, and its
# private half was never written anywhere. The key pair is a name, not a key anyone can log in with.
CLAIM_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEC5kJllVdWQ92cp3sSKojBaAC1tlYWPN3Rl6V8Oi1Cr cloudreactor.aws"

# The claim's tags. The network and component tags are the collection's identity tags (see _model/tagging.py).
NETWORK_TAG = "cloudreactor:network"
COMPONENT_TAG = "cloudreactor:component"
COMPONENT = "claim"
HOLDER_TAG = "cloudreactor:claim-holder"
LEASE_SECONDS_TAG = "cloudreactor:lease-seconds"
LEASE_EXPIRES_TAG = "cloudreactor:lease-expires"
VPC_TAG = "cloudreactor:vpc-id"

DUPLICATE = "InvalidKeyPair.Duplicate"
NOT_FOUND = "InvalidKeyPair.NotFound"

# While the claim is held, it is read again after pauses growing from FIRST_POLL to MAX_POLL seconds: a holder that
# only repairs finishes in seconds, and one that builds NAT gateways holds it for minutes.
FIRST_POLL = 0.25
MAX_POLL = 5.0
POLL_GROWTH = 1.5

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def claim_name(network: str) -> str:
    return CLAIM_PREFIX + network


def _timestamp(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _parse_seconds(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def error_code(error: BaseException) -> str | None:
    code: str | None = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
    return code


class Holder:
    """A claim as DescribeKeyPairs lists it: who holds it, since and until when, the VPC it recorded."""

    def __init__(self, key_pair: Resource) -> None:
        tags = {tag["Key"]: tag["Value"] for tag in key_pair.get("Tags") or []}
        self.key_pair_id: str = key_pair["KeyPairId"]
        self.holder = tags.get(HOLDER_TAG)
        created = key_pair.get("CreateTime")
        self.since = created if isinstance(created, datetime) else None  # AWS's time
        self.lease_expires = _parse_time(tags.get(LEASE_EXPIRES_TAG))  # AWS's time, once renewed
        self.lease_seconds = _parse_seconds(tags.get(LEASE_SECONDS_TAG))
        self.vpc_id = tags.get(VPC_TAG)

    def lease_end(self, lease: float) -> datetime | None:
        """When its lease runs out, by AWS's clock: the end its last renewal wrote or, before any, its holder's lease
        after its creation (``lease``, this run's, while its tags are not listed yet)."""
        if self.lease_expires is not None:
            return self.lease_expires
        length = self.lease_seconds if self.lease_seconds is not None else lease
        return self.since + timedelta(seconds=length) if self.since is not None else None

    def expired(self, now: datetime, lease: float) -> bool:
        """True once its lease has run out, ``now`` being AWS's time."""
        end = self.lease_end(lease)
        return end is not None and now >= end

    def as_result(self, waited: float, lease: float) -> dict[str, Any]:
        end = self.lease_end(lease)
        return {
            "key_pair_id": self.key_pair_id,
            "holder": self.holder or "unknown (its tags are not listed yet)",
            "since": _timestamp(self.since) if self.since else None,
            "lease_expires": _timestamp(end) if end else None,
            "waited": int(waited),
        }


class AwsClock:
    """AWS's time, to the second, as the ``Date`` header of its last answer gave it, moved on by this machine's
    clock since; this machine's time until AWS has answered."""

    def __init__(self, local_clock: Callable[[], datetime]) -> None:
        self._local_clock = local_clock
        self._offset = timedelta(0)

    def now(self) -> datetime:
        return self._local_clock() + self._offset

    def heard(self, answer: Mapping[str, Any]) -> None:
        """Set the clock from ``answer``, a botocore response."""
        date = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
        try:
            self._offset = parsedate_to_datetime(date) - self._local_clock()
        except (TypeError, ValueError):
            return  # no usable Date header: keep the last offset


class ClaimHeld(NetworkError):
    """Another run held the network's claim for the whole wait. ``details["claim_held"]`` says who and since when."""


class NetworkClaim:
    """The claim on network ``network`` for one run.

    ``client``: an EC2 client whose calls take ``aws_retry`` (not the run's model: a claim is not part of the
    network); its calls are made from two threads (this run's and the renewal's), as botocore clients allow.
    ``lease``: seconds after which another run may break this claim if it was not renewed (its run crashed).
    ``holder``: who this run is, as other runs will read it.
    ``local_clock``: this machine's clock (tests set it wrong: the claim keeps AWS's time whatever it says).
    """

    def __init__(
        self,
        client: Client,
        network: str,
        *,
        lease: float,
        holder: str | None = None,
        local_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.network = network
        self.name = claim_name(network)
        self.lease = lease
        self.holder = holder or f"run {uuid.uuid4().hex[:12]} on {socket.gethostname()} pid {os.getpid()}"
        self.clock = AwsClock(local_clock)
        self.key_pair_id: str | None = None  # set while this run holds the claim
        self.previous_vpc_id: str | None = None  # the VPC the last holder seen recorded: where this run must look first
        self.broken: list[str] = []  # ids of expired claims this run deleted
        self._released = threading.Event()
        self._renewal: threading.Thread | None = None

    # -- taking ----------------------------------------------------------------------------------------------

    def take(self, timeout: float, vpc_id: str | None = None) -> None:
        """Take the claim, waiting up to ``timeout`` seconds while another run holds it; ``vpc_id``: the network's
        VPC when this run knows it already. Raises :class:`ClaimHeld` when the wait ends first."""
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        pause = FIRST_POLL
        last_seen = None
        while True:
            if self._import(vpc_id):
                return self._renew_while_held()
            held = self._held()
            if held is not None and held.holder == self.holder:
                # Our own import, carried out although its answer was lost and the request sent again.
                self.key_pair_id = held.key_pair_id
                return self._renew_while_held()
            if held is not None:
                last_seen = held
                self.previous_vpc_id = held.vpc_id
                if held.expired(self.clock.now(), self.lease):
                    self._break(held)
                    continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._held_error(last_seen, time.monotonic() - started)
            # Not listed although its name is taken: it is being created or deleted right now; look again soon.
            time.sleep(min(pause if held is not None else FIRST_POLL, remaining))
            pause = min(pause * POLL_GROWTH, MAX_POLL)

    def _import(self, vpc_id: str | None) -> bool:
        tags = {
            NETWORK_TAG: self.network,
            COMPONENT_TAG: COMPONENT,
            HOLDER_TAG: self.holder,
            LEASE_SECONDS_TAG: f"{self.lease:g}",
        }
        if vpc_id:
            tags[VPC_TAG] = vpc_id
        try:
            answer = self.client.import_key_pair(
                KeyName=self.name,
                PublicKeyMaterial=CLAIM_PUBLIC_KEY.encode(),
                TagSpecifications=[
                    {"ResourceType": "key-pair", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                ],
                aws_retry=True,
            )
        except ClientError as error:
            if error_code(error) != DUPLICATE:
                raise
            return False
        self.clock.heard(answer)  # the time of its renewals
        self.key_pair_id = answer["KeyPairId"]
        return True

    def _held(self) -> Holder | None:
        """The claim as listed now, or ``None`` when it is not listed (just deleted, or not propagated yet)."""
        try:
            answer = self.client.describe_key_pairs(KeyNames=[self.name], aws_retry=True)
        except ClientError as error:
            if error_code(error) != NOT_FOUND:
                raise
            return None
        self.clock.heard(answer)  # the time its lease is compared with
        pairs = answer["KeyPairs"]
        return Holder(pairs[0]) if pairs else None

    def _break(self, held: Holder) -> None:
        """Delete an expired claim by its id: if its holder or another waiter replaced it meanwhile, the new claim
        has another id and stays."""
        self.client.delete_key_pair(KeyPairId=held.key_pair_id, aws_retry=True)
        self.broken.append(held.key_pair_id)

    def _held_error(self, held: Holder | None, waited: float) -> ClaimHeld:
        if held is None:
            return ClaimHeld(
                f"Network {self.network}'s claim (key pair {self.name}) stayed taken for {int(waited)} s but was never "
                "listed: run again.",
                claim_held={
                    "key_pair_id": None,
                    "holder": None,
                    "since": None,
                    "lease_expires": None,
                    "waited": int(waited),
                },
            )
        info = held.as_result(waited, self.lease)
        return ClaimHeld(
            f"Network {self.network} is being changed by another run ({info['holder']}, since {info['since']}): "
            f"waited {info['waited']} s for it. Run again once that run has ended. If no run is changing this "
            f"network (it crashed), its claim expires at {info['lease_expires']} and the next run takes over; to go "
            f"on at once, delete the claim: aws ec2 delete-key-pair --key-pair-id {held.key_pair_id}",
            claim_held=info,
        )

    # -- while held ------------------------------------------------------------------------------------------

    def _renew_while_held(self) -> None:
        self._released.clear()
        self._renewal = threading.Thread(target=self._renew, name=f"claim {self.name}", daemon=True)
        self._renewal.start()

    def _renew(self) -> None:
        """Push the lease's end forward every third of the lease until released. A failed renewal is tried again at
        the next one: the lease runs out only when every renewal within it failed."""
        while not self._released.wait(self.lease / 3):
            expires = _timestamp(self.clock.now() + timedelta(seconds=self.lease))
            try:
                answer = self.client.create_tags(
                    Resources=[self.key_pair_id], Tags=[{"Key": LEASE_EXPIRES_TAG, "Value": expires}], aws_retry=True
                )
            except (BotoCoreError, ClientError):
                continue
            self.clock.heard(answer)

    def record_vpc(self, vpc_id: str) -> None:
        """Keep ``vpc_id`` on the claim, for the run that takes it next."""
        self.client.create_tags(Resources=[self.key_pair_id], Tags=[{"Key": VPC_TAG, "Value": vpc_id}], aws_retry=True)

    def release(self) -> None:
        """Give the claim back (by its id: a claim that was broken and taken by another run stays theirs)."""
        if self.key_pair_id is None:
            return
        self._released.set()
        if self._renewal is not None:
            self._renewal.join()
        try:
            self.client.delete_key_pair(KeyPairId=self.key_pair_id, aws_retry=True)
        finally:
            self.key_pair_id = None
