"""Routes report State ``blackhole`` when their target is gone (AWS), instead of moto's hard-coded ``active``.

Why: on AWS a route whose NAT gateway is ``deleting``/``deleted``/``failed``, or whose internet gateway was detached
from the route table's VPC or deleted, shows ``State: blackhole``. Our roles detect and repair such routes; against
stock moto every route is ``active``, so that code never runs.

How: replaces ``Route.state``. The NAT's state is read through ``nat_lifecycle.current_state`` (a read never counts
as a DescribeNatGateways, so looking at routes does not move a NAT along its lifecycle). An internet gateway counts
as gone when it is no longer in the backend or is not attached to the route table's VPC. The DescribeRouteTables
serializer reads ``Route.state`` for the ``State`` field.
"""

from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.route_tables import Route

from . import nat_lifecycle

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_routes_eip.py::test_route_to_deleted_nat_is_blackhole",
    "test_emulator_routes_eip.py::test_route_to_deleting_nat_is_blackhole_without_advancing_it",
    "test_emulator_routes_eip.py::test_route_to_failed_nat_is_blackhole",
    "test_emulator_routes_eip.py::test_route_to_detached_igw_is_blackhole",
    "test_emulator_routes_eip.py::test_route_to_deleted_igw_is_blackhole",
)

_PATCHED_FLAG = "_aws_emulator_blackhole_patched"


def route_state(route: Route) -> str:
    nat = route.nat_gateway
    if nat is not None and nat_lifecycle.current_state(nat) in nat_lifecycle.DEAD_STATES:
        return "blackhole"
    gateway = route.gateway
    if isinstance(gateway, InternetGateway):
        backend = route.route_table.ec2_backend
        if backend.internet_gateways.get(gateway.id) is not gateway:
            return "blackhole"
        if gateway.vpc is None or gateway.vpc.id != route.route_table.vpc_id:
            return "blackhole"
    return "active"


def apply() -> None:
    if getattr(Route, _PATCHED_FLAG, False):
        return
    Route.state = property(route_state)  # type: ignore[assignment,method-assign]
    setattr(Route, _PATCHED_FLAG, True)
