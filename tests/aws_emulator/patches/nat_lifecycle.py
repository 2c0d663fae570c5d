"""NAT gateway lifecycle: ``pending -> available`` (or ``pending -> failed``) and ``deleting -> deleted``.

Why: on AWS a new NAT gateway is ``pending`` for minutes before it is ``available``, and a deleted one is ``deleting``
and then ``deleted`` (the record stays describable for about an hour). Stock moto makes it ``available`` at once and
``deleted`` at once, so the waiters and the "wait for the NAT" code paths of our roles never run against it.

How: every ``NatGateway`` gets a ``NatGatewayLifecycle`` (moto's ``ManagedState``) under the state-manager model
name ``ec2::nat_gateway``. Its speed is set with the standard moto API
``POST /moto-api/state-manager/set-transition``: ``{"progression": "immediate"}`` (the registered default),
``{"progression": "manual", "times": N}`` (the N-th DescribeNatGateways that includes the NAT shows the next state),
or ``{"progression": "time", "seconds": N}``, timed on the emulator's clock (``aws_emulator.clock``) instead of
moto's wall clock, so that a test holding the clock keeps a NAT in its state however slow the machine.

* ``NatGateway.state`` reads the lifecycle. Reading never counts as a describe: only the DescribeNatGateways
  request handler calls ``advance()`` (once per NAT it selects), so internal reads (route blackhole state, EIP
  checks, filters) cannot move a NAT along.
* DescribeNatGateways' ``state`` filter uses the lifecycle state; ``tag:``/``tag-key``/``tag-value`` filters work.
* CreateNatGateway reports ``pending`` like AWS does (the describe calls then show the lifecycle).
* DeleteNatGateway moves the NAT to ``deleting`` (ticks and timer restart); the record is kept.
* ``FailureCode`` / ``FailureMessage`` are reported while the NAT is ``failed``; ``DeleteTime`` once deleted.

Other patches plug in through ``FAILURE_CHECKS`` (decide at creation that a NAT will fail) and
``TRANSITION_HOOKS`` (react when a NAT's state changes, e.g. free its Elastic IP).
"""

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
from moto.ec2.responses._base_response import EC2BaseResponse
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.utils import tag_filter_matches
from moto.moto_api import state_manager
from moto.moto_api._internal.managed_state_model import ManagedState

from aws_emulator import NAT_MODEL_NAME
from aws_emulator.clock import CLOCK

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_nat.py::test_create_reports_pending_and_immediate_progression_is_available",
    "test_emulator_nat.py::test_manual_progression_pending_for_n_minus_1_describes",
    "test_emulator_nat.py::test_time_progression",
    "test_emulator_nat.py::test_deleting_then_deleted_and_record_kept",
    "test_emulator_nat.py::test_state_filter_uses_lifecycle_and_counts_as_describe",
    "test_emulator_nat.py::test_internal_reads_do_not_advance_the_lifecycle",
    "test_emulator_nat.py::test_nat_waiter_really_waits_while_pending",
)

DEFAULT_TRANSITION: dict[str, Any] = {"progression": "immediate"}

#: States in which a NAT gateway no longer forwards traffic.
DEAD_STATES = frozenset({"deleting", "deleted", "failed"})

#: ``check(nat) -> (failure_code, failure_message) | None``; called once when a NAT is created.
FailureCheck = Callable[[NatGateway], tuple[str, str] | None]
FAILURE_CHECKS: list[FailureCheck] = []

#: ``hook(nat, old_state, new_state)``; called whenever a NAT's lifecycle state changes.
TransitionHook = Callable[[NatGateway, str, str], None]
TRANSITION_HOOKS: list[TransitionHook] = []

# CreateNatGateway always answers "pending" on AWS; FailureCode/Message/DeleteTime do not exist yet at that point.
_CREATE_RESPONSE_TRANSFORMERS: dict[str, Callable[[Any], Any]] = {
    "CreateNatGatewayResult.NatGateway.State": lambda _value: "pending",
    "CreateNatGatewayResult.NatGateway.FailureCode": lambda _value: None,
    "CreateNatGatewayResult.NatGateway.FailureMessage": lambda _value: None,
    "CreateNatGatewayResult.NatGateway.DeleteTime": lambda _value: None,
}

_PATCHED_FLAG = "_aws_emulator_lifecycle_patched"


class NatGatewayLifecycle(ManagedState):
    """moto ``ManagedState`` for one NAT gateway; reports state changes to ``TRANSITION_HOOKS``."""

    def __init__(self, nat: NatGateway, failure: tuple[str, str] | None) -> None:
        settled = "failed" if failure else "available"
        super().__init__(NAT_MODEL_NAME, [("pending", settled), ("deleting", "deleted")])
        self.nat = nat
        self.failure = failure
        self._progressed_at = CLOCK.now()

    @property  # type: ignore[override]
    def status(self) -> str | None:
        before = self._status
        transition = state_manager.get_transition(self.model_name)
        if transition["progression"] == "time":
            # moto's own "time" progression, on the emulator's clock
            if CLOCK.now() > self._progressed_at + transition["seconds"]:
                self._status = self._get_next_status(previous=self._status)
                self._progressed_at = CLOCK.now()
            after = self._status
        else:
            after = ManagedState.status.fget(self)  # type: ignore[attr-defined]
        if after != before:
            for hook in list(TRANSITION_HOOKS):
                hook(self.nat, before, after)
        return after

    @status.setter
    def status(self, value: str) -> None:
        self._status = value

    def start_deleting(self) -> None:
        self._status = "deleting"
        self._tick = 0
        self._progressed_at = CLOCK.now()


def lifecycle_of(nat: NatGateway) -> NatGatewayLifecycle:
    return nat.__dict__["_aws_emulator_lifecycle"]


def current_state(nat: NatGateway) -> str:
    """The NAT's state for internal use; never counts as a describe (does not tick the lifecycle)."""
    return nat.state


def _state_get(self: NatGateway) -> str | None:
    lifecycle = self.__dict__.get("_aws_emulator_lifecycle")
    return lifecycle.status if lifecycle is not None else None


def _state_set(self: NatGateway, value: str) -> None:
    # moto's NatGateway.__init__ assigns "available" before the lifecycle exists: ignored on purpose.
    lifecycle = self.__dict__.get("_aws_emulator_lifecycle")
    if lifecycle is not None:
        lifecycle.status = value


def _failure_code(self: NatGateway) -> str | None:
    lifecycle = lifecycle_of(self)
    if lifecycle.failure and self.state == "failed":
        return lifecycle.failure[0]
    return None


def _failure_message(self: NatGateway) -> str | None:
    lifecycle = lifecycle_of(self)
    if lifecycle.failure and self.state == "failed":
        return lifecycle.failure[1]
    return None


def _delete_time(self: NatGateway) -> str | None:
    deleted_at = self.__dict__.get("_aws_emulator_deleted_at")
    if deleted_at is None or self.state != "deleted":
        return None
    return iso_8601_datetime_with_milliseconds(deleted_at)


def _wrap_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: NatGateway, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        failure = None
        for check in FAILURE_CHECKS:
            failure = check(self)
            if failure:
                break
        self.__dict__["_aws_emulator_deleted_at"] = None
        self.__dict__["_aws_emulator_lifecycle"] = NatGatewayLifecycle(self, failure)

    return __init__


def _matches(nat: NatGateway, name: str, values: list[str]) -> bool:
    if name == "nat-gateway-id":
        return nat.id in values
    if name == "vpc-id":
        return nat.vpc_id in values
    if name == "subnet-id":
        return nat.subnet_id in values
    if name.startswith("tag:") or name in ("tag-key", "tag-value"):
        return tag_filter_matches(nat, name, values)
    return True  # like stock moto: unknown filters are ignored


def describe_nat_gateways(
    self: NatGatewayBackend,
    filters: dict[str, list[str]] | None,
    nat_gateway_ids: list[str] | None,
    count_as_describe: bool = False,
) -> list[NatGateway]:
    """Select NATs; with ``count_as_describe`` (DescribeNatGateways requests only) tick their lifecycles."""
    nats = list(self.nat_gateways.values())
    if nat_gateway_ids:
        nats = [nat for nat in nats if nat.id in nat_gateway_ids]
    filters = dict(filters or {})
    state_values = filters.pop("state", None)
    for name, values in filters.items():
        nats = [nat for nat in nats if _matches(nat, name, values)]
    if count_as_describe:
        for nat in nats:
            lifecycle_of(nat).advance()
    if state_values is not None:
        nats = [nat for nat in nats if nat.state in state_values]
    return nats


def delete_nat_gateway(self: NatGatewayBackend, nat_gateway_id: str) -> NatGateway:
    nat = self.nat_gateways[nat_gateway_id]
    if nat.state not in ("deleting", "deleted"):
        nat.__dict__["_aws_emulator_deleted_at"] = utcnow()
        lifecycle_of(nat).start_deleting()
    return nat


def describe_nat_gateways_response(self: NatGateways) -> Any:
    filters = self._filters_from_querystring()
    nat_gateway_ids = self._get_param("NatGatewayIds", [])
    nats = self.ec2_backend.describe_nat_gateways(filters, nat_gateway_ids, count_as_describe=True)
    return ActionResult({"NatGateways": nats})


def apply() -> None:
    if getattr(NatGateway, _PATCHED_FLAG, False):
        return
    NatGateway.__init__ = _wrap_init(NatGateway.__init__)  # type: ignore[method-assign]
    NatGateway.state = property(_state_get, _state_set)  # type: ignore[attr-defined]
    NatGateway.failure_code = property(_failure_code)  # type: ignore[attr-defined]
    NatGateway.failure_message = property(_failure_message)  # type: ignore[attr-defined]
    NatGateway.delete_time = property(_delete_time)  # type: ignore[attr-defined]
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways  # type: ignore[method-assign]
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway  # type: ignore[method-assign]
    NatGateways.describe_nat_gateways = describe_nat_gateways_response  # type: ignore[method-assign]
    EC2BaseResponse.RESPONSE_KEY_PATH_TO_TRANSFORMER.update(_CREATE_RESPONSE_TRANSFORMERS)
    state_manager.register_default_transition(NAT_MODEL_NAME, dict(DEFAULT_TRANSITION))
    setattr(NatGateway, _PATCHED_FLAG, True)
