"""EC2's eventual consistency: new ids are invisible for a while, and releases hold their VPC for a while.

Why: EC2's API is eventually consistent (EC2 API reference, "Eventual consistency"). For a while after a create, a
call naming the new id answers its NotFound code and describes leave the resource out; botocore's waiters retry
exactly those answers (``VpcExists``, ``NatGatewayAvailable``, ``InternetGatewayExists``, ``SecurityGroupExists``).
After a NAT gateway is deleted, or an Elastic IP released or disassociated, AWS frees the network interface and the
mapped address later: until then DeleteSubnet, DetachInternetGateway and DeleteVpc answer ``DependencyViolation``.
Stock moto is strongly consistent, so code that must cope with these answers cannot be tested.

How: a propagation delay L (seconds; 0 by default, the launcher's ``--propagation-delay``, or per test through
``POST /moto-api/aws-emulator/propagation-delay {"seconds": L}``; ``/moto-api/reset`` restores the launcher's
value; a ``GET`` there also answers how many new ids are still hidden). With L = 0 every EC2 request goes straight
to moto. With L > 0, for the L seconds after a create answers:

* a request naming the new id in any parameter (filters, tags and descriptions aside) answers the id's NotFound
  error, the one moto answers for an unknown id (NAT gateways: ``NatGatewayNotFound`` on DescribeNatGateways /
  DeleteNatGateway, ``InvalidNatGatewayID.NotFound`` elsewhere, as ``not_found_errors`` does);
* describes leave out the new resource and whatever lies in a new VPC, and a filter naming a new id matches nothing.

A NAT gateway deleted while L > 0 holds its subnet and VPC until L seconds after it reaches ``deleted`` (the
``nat_lifecycle`` patch decides when); an address released or disassociated holds its VPC for L seconds.

The L seconds are counted on the emulator's clock (``aws_emulator.clock``), which this patch lets tests steer:
``POST /moto-api/aws-emulator/clock`` with ``{"action": "hold"}``, ``"resume"``, ``"advance"`` (and ``"seconds"``),
or ``"settle"``, which moves it on to the moment everything created or released so far is through (a NAT gateway
still deleting keeps holding). Setting the delay, or a reset, lets a held clock run again.

The refusals are raised where moto calls the action, so moto records and serializes them like its own errors.
"""

import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.ec2 import exceptions
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.responses import EC2Response
from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_api._internal.models import MotoAPIBackend

from aws_emulator import CLOCK_PATH, PROPAGATION_DELAY_PATH
from aws_emulator.clock import CLOCK

from . import nat_lifecycle
from .not_found_errors import InvalidNatGatewayIdNotFoundError, NatGatewayNotFoundError

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_consistency.py::test_new_id_answers_not_found_when_named",
    "test_emulator_consistency.py::test_new_id_answers_like_an_unknown_id",
    "test_emulator_consistency.py::test_describes_leave_new_resources_out",
    "test_emulator_consistency.py::test_new_vpc_hides_its_default_group_and_main_table",
    "test_emulator_consistency.py::test_deleted_nat_gateway_holds_subnet_gateway_and_vpc",
    "test_emulator_consistency.py::test_released_address_holds_the_vpc",
    "test_emulator_consistency.py::test_propagating_counts_the_ids_still_hidden",
    "test_emulator_consistency.py::test_held_clock_keeps_the_window_open_until_the_test_moves_it",
    "test_emulator_consistency.py::test_settle_frees_released_addresses_but_not_a_nat_gateway_still_deleting",
)

#: create action -> (answer key holding the new resource or its id, the NotFound error for that id)
_CREATES: dict[str, tuple[str, Callable[[str], Exception]]] = {
    "CreateVpc": ("Vpc", exceptions.InvalidVPCIdError),
    "CreateSubnet": ("Subnet", exceptions.InvalidSubnetIdError),
    "CreateInternetGateway": ("InternetGateway", exceptions.InvalidInternetGatewayIdError),
    "CreateNatGateway": ("NatGateway", InvalidNatGatewayIdNotFoundError),
    "CreateRouteTable": ("RouteTable", exceptions.InvalidRouteTableIdError),
    "AllocateAddress": ("AllocationId", exceptions.InvalidAllocationIdError),
    "CreateSecurityGroup": ("GroupId", exceptions.InvalidSecurityGroupNotFoundError),
    "CreateVpcEndpoint": ("VpcEndpoint", exceptions.InvalidVpcEndPointIdError),
}
_NAT_NOT_FOUND_ACTIONS = frozenset({"DescribeNatGateways", "DeleteNatGateway"})
#: actions refused (DependencyViolation) while a NAT gateway's or an address's release is under way
_HELD_BY_RELEASES = frozenset({"DeleteSubnet", "DeleteVpc", "DetachInternetGateway"})

#: describe action -> answer key of its list
_DESCRIBES = {
    "DescribeVpcs": "Vpcs",
    "DescribeSubnets": "Subnets",
    "DescribeInternetGateways": "InternetGateways",
    "DescribeNatGateways": "NatGateways",
    "DescribeRouteTables": "RouteTables",
    "DescribeAddresses": "Addresses",
    "DescribeSecurityGroups": "SecurityGroups",
    "DescribeVpcEndpoints": "VpcEndpoints",
    "DescribeTags": "Tags",
}

# Parameters whose values are data, not references: an id there names nothing.
_DATA_PARAMETER = re.compile(r"^Filter\.|\.(Key|Value)$|Description$")
_FILTER_VALUE = re.compile(r"^Filter\.\d+\.Value\.\d+$")

_PATCHED_FLAG = "_aws_emulator_consistency_patched"


@dataclass
class _NatRelease:
    subnet_id: str
    vpc_id: str
    until: float | None = None  # set once the NAT gateway is deleted


class _Propagation:
    """The delay and what is still propagating; one per server process, shared by the request threads."""

    def __init__(self) -> None:
        self.launch_delay = 0.0
        self.delay = 0.0
        self.lock = threading.RLock()  # re-entered by the NAT transition hook during a dependency check
        # every id created since the delay was set -> (visible at, its NotFound error)
        self.created: dict[str, tuple[float, Callable[[str], Exception]]] = {}
        self.nat_releases: dict[str, _NatRelease] = {}
        self.vpcs_releasing: dict[str, float] = {}  # vpc id -> addresses released until

    def restart(self, delay: float) -> None:
        with self.lock:
            self.delay = delay
            self.created.clear()
            self.nat_releases.clear()
            self.vpcs_releasing.clear()
            CLOCK.resume()

    def settle(self) -> None:
        """Move the clock to the moment the last id created, and the last release started, are through."""
        with self.lock:
            deadlines = [visible_at for visible_at, _error in self.created.values()]
            deadlines += [release.until for release in self.nat_releases.values() if release.until is not None]
            deadlines += self.vpcs_releasing.values()
            now = CLOCK.now()
            CLOCK.advance(max([now, *deadlines]) - now)

    def hidden_at(self, now: float) -> dict[str, Callable[[str], Exception]]:
        """The ids not yet visible at ``now``, with their NotFound errors."""
        with self.lock:
            return {rid: error for rid, (visible_at, error) in self.created.items() if visible_at > now}


_state = _Propagation()


def set_launch_delay(seconds: float) -> None:
    """The launcher's delay: in force from start and after every ``/moto-api/reset``."""
    _state.launch_delay = seconds
    _state.restart(seconds)


def is_applied() -> bool:
    return getattr(EC2Response, _PATCHED_FLAG, False)


# -- what a request names -------------------------------------------------------------------------------------


def _named_ids(querystring: dict[str, list[str]]) -> list[str]:
    return [value for key, values in querystring.items() if not _DATA_PARAMETER.search(key) for value in values]


def _filter_values(querystring: dict[str, list[str]]) -> set[str]:
    return {value for key, values in querystring.items() if _FILTER_VALUE.match(key) for value in values}


def _not_found(action: str, resource_id: str, error: Callable[[str], Exception]) -> Exception:
    if error is InvalidNatGatewayIdNotFoundError and action in _NAT_NOT_FOUND_ACTIONS:
        return NatGatewayNotFoundError(resource_id)
    return error(resource_id)


def _created_id(result: Any, key: str) -> str:
    created = result.result[key]
    return created if isinstance(created, str) else created.id


def _item_ids(item: Any) -> tuple[Any, ...]:
    """The ids a described item is known by: its own, and its VPC's (a new VPC's default group and main table)."""
    if isinstance(item, dict):  # DescribeTags
        return (item["resource_id"],)
    return (item.id, getattr(item, "vpc_id", None))


# -- dependencies being released ------------------------------------------------------------------------------


def _start_nat_release_window(nat: NatGateway, old_state: str, new_state: str) -> None:
    """Transition hook: the NAT's address and interface are released L seconds after it reaches ``deleted``."""
    with _state.lock:
        release = _state.nat_releases.get(nat.id)
        if release is not None and new_state == "deleted" and release.until is None:
            release.until = CLOCK.now() + _state.delay


def _releasing(backend: Any, now: float, *, subnet_id: str | None = None, vpc_id: str | None = None) -> bool:
    with _state.lock:
        for nat_id, release in list(_state.nat_releases.items()):
            nat = backend.nat_gateways.get(nat_id)
            if nat is not None and nat_lifecycle.current_state(nat) == "deleted" and release.until is None:
                release.until = now + _state.delay  # no lifecycle patch: deleted at once
            if release.until is not None and release.until <= now:
                del _state.nat_releases[nat_id]
            elif subnet_id == release.subnet_id or vpc_id == release.vpc_id:
                return True
        return _state.vpcs_releasing.get(vpc_id or "", 0.0) > now


def _dependency_violation(response: Any, action: str, now: float) -> Exception | None:
    backend = response.ec2_backend
    subnet_id = response._get_param("SubnetId")
    vpc_id = response._get_param("VpcId")
    if action == "DeleteSubnet" and _releasing(backend, now, subnet_id=subnet_id):
        return exceptions.DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    if action == "DeleteVpc" and _releasing(backend, now, vpc_id=vpc_id):
        return exceptions.DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    if action == "DetachInternetGateway" and _releasing(backend, now, vpc_id=vpc_id):
        return exceptions.DependencyViolationError(
            f"Network {vpc_id} has some mapped public address(es). "
            "Please unmap those public address(es) before detaching the gateway."
        )
    return None


def _address_vpc(response: Any) -> str | None:
    """The VPC of the address a ReleaseAddress / DisassociateAddress names (None if unknown: moto answers that)."""
    backend = response.ec2_backend
    public_ip = response._get_param("PublicIp")
    allocation_id = response._get_param("AllocationId")
    association_id = response._get_param("AssociationId")
    try:
        if public_ip:
            (eip,) = backend.address_by_ip([public_ip])
        elif allocation_id:
            (eip,) = backend.address_by_allocation([allocation_id])
        else:
            (eip,) = backend.address_by_association([association_id])
    except exceptions.EC2ClientError:
        return None
    if eip.eni is not None:
        return eip.eni.vpc_id
    if eip.instance is not None:
        return eip.instance.vpc_id
    # An address freed from a deleted NAT gateway still counts as mapped in that gateway's VPC.
    for nat in backend.nat_gateways.values():
        if any(address.get("allocationId") == eip.allocation_id for address in nat.address_set):
            return nat.vpc_id
    return None


# -- the request wrapper ---------------------------------------------------------------------------------------


def _wrap_call_action(original: Callable[[EC2Response], Any]) -> Callable[[EC2Response], Any]:
    def call_action(self: EC2Response) -> Any:
        if not _state.delay:
            return original(self)
        action = self._get_action()
        method_name = camelcase_to_underscores(action)
        handler = getattr(self, method_name, None)
        if handler is None:
            return original(self)  # moto answers unknown actions itself
        now = CLOCK.now()
        hidden = _state.hidden_at(now)
        refusal = next(
            (_not_found(action, rid, hidden[rid]) for rid in _named_ids(self.querystring) if rid in hidden), None
        )
        if refusal is None and action in _HELD_BY_RELEASES:
            refusal = _dependency_violation(self, action, now)
        address_vpc = _address_vpc(self) if action in ("ReleaseAddress", "DisassociateAddress") else None

        def run_action() -> Any:
            if refusal is not None:
                raise refusal
            result = handler()
            _after(self, action, result, hidden, address_vpc)
            return result

        # Shadows the action for this request only (moto makes one response object per request).
        self.__dict__[method_name] = run_action
        return original(self)

    return call_action


def _after(
    response: EC2Response,
    action: str,
    result: Any,
    hidden: dict[str, Callable[[str], Exception]],
    address_vpc: str | None,
) -> None:
    answered = CLOCK.now()
    if action in _CREATES:
        key, error = _CREATES[action]
        with _state.lock:
            # setdefault: an idempotent retry (same ClientToken) answers an id that may be visible already
            _state.created.setdefault(_created_id(result, key), (answered + _state.delay, error))
    elif action in _DESCRIBES:
        key = _DESCRIBES[action]
        if _filter_values(response.querystring) & hidden.keys():
            result.result[key] = []
        else:
            result.result[key] = [
                item for item in result.result[key] if not any(rid in hidden for rid in _item_ids(item))
            ]
    elif action == "DeleteNatGateway":
        nat = response.ec2_backend.nat_gateways[response._get_param("NatGatewayId")]
        with _state.lock:
            _state.nat_releases.setdefault(nat.id, _NatRelease(nat.subnet_id, nat.vpc_id))
    elif address_vpc is not None:
        with _state.lock:
            _state.vpcs_releasing[address_vpc] = answered + _state.delay


# -- control ---------------------------------------------------------------------------------------------------


def propagation_delay_response(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """``GET`` -> ``{"seconds": L, "propagating": N}``, N the ids created and still hidden (a test polls it to start a
    run once everything before it is listed); ``POST {"seconds": L}`` sets L for what follows (and forgets what
    propagates)."""
    if request.method == "POST":
        try:
            seconds = float(json.loads(request.data or b"{}")["seconds"])
        except (KeyError, TypeError, ValueError):
            return 400, {}, json.dumps({"Error": 'expected {"seconds": <number >= 0>}'})
        if not math.isfinite(seconds) or seconds < 0:
            return 400, {}, json.dumps({"Error": "seconds must be a finite number >= 0"})
        _state.restart(seconds)
    return 200, {}, json.dumps({"seconds": _state.delay, "propagating": _propagating()})


def _propagating() -> int:
    with _state.lock:
        return len(_state.hidden_at(CLOCK.now()))


def clock_response(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """``GET`` -> ``{"held": bool, "propagating": N}``; ``POST {"action": "hold" | "resume" | "settle"}`` or
    ``{"action": "advance", "seconds": S}`` steers the emulator's clock, then answers the same."""
    if request.method == "POST":
        try:
            command = json.loads(request.data or b"{}")
            action = command["action"]
            seconds = float(command.get("seconds", 0))
        except (KeyError, TypeError, ValueError):
            action, seconds = None, 0.0
        if action not in ("hold", "resume", "settle", "advance") or not math.isfinite(seconds) or seconds < 0:
            error = 'expected {"action": "hold" | "resume" | "settle" | "advance"}, and for advance "seconds": >= 0'
            return 400, {}, json.dumps({"Error": error})
        if action == "settle":
            _state.settle()
        elif action == "advance":
            CLOCK.advance(seconds)
        else:
            getattr(CLOCK, action)()
    return 200, {}, json.dumps({"held": CLOCK.held, "propagating": _propagating()})


def _wrap_reset(original: Callable[[MotoAPIBackend], None]) -> Callable[[MotoAPIBackend], None]:
    def reset(self: MotoAPIBackend) -> None:
        original(self)
        _state.restart(_state.launch_delay)

    return reset


def apply() -> None:
    if _start_nat_release_window not in nat_lifecycle.TRANSITION_HOOKS:
        nat_lifecycle.TRANSITION_HOOKS.append(_start_nat_release_window)
    if is_applied():
        return
    EC2Response.call_action = _wrap_call_action(EC2Response.call_action)  # type: ignore[method-assign]
    MotoAPIBackend.reset = _wrap_reset(MotoAPIBackend.reset)  # type: ignore[method-assign]
    moto_api_urls.url_paths["{0}" + PROPAGATION_DELAY_PATH] = propagation_delay_response
    moto_api_urls.url_paths["{0}" + CLOCK_PATH] = clock_response
    setattr(EC2Response, _PATCHED_FLAG, True)
