"""A public NAT gateway in a subnet without a route to an attached internet gateway ends ``failed``.

Why: on AWS such a NAT goes ``pending -> failed`` with FailureCode ``Gateway.NotAttached`` and FailureMessage
``Network vpc-... has no Internet gateway attached``; the ``nat_gateway_available`` waiter then stops at once with
a failure. Stock moto makes every NAT ``available``, so a role that forgot the internet gateway (or its route)
passes against moto and fails on AWS.

How: registers a check in ``nat_lifecycle.FAILURE_CHECKS``. When a public NAT is created, the subnet's effective
route table (its explicit association, else the VPC's main table) must hold a ``0.0.0.0/0`` route to an internet
gateway that exists and is attached to the same VPC; otherwise the NAT's lifecycle is ``pending -> failed``.
Freeing the Elastic IP of the failed NAT is done by ``nat_eip_release``.
"""

from typing import Any

from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.nat_gateways import NatGateway

from . import nat_lifecycle

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_nat.py::test_nat_without_internet_gateway_fails",
    "test_emulator_nat.py::test_available_waiter_fails_at_once_on_failed_nat",
    "test_emulator_nat.py::test_nat_failure_follows_effective_route_table",
)

FAILURE_CODE = "Gateway.NotAttached"


def effective_route_table(backend: Any, subnet_id: str, vpc_id: str) -> Any | None:
    """The route table that governs ``subnet_id``: its explicit association, else the VPC's main table."""
    for route_table in backend.route_tables.values():
        if subnet_id in route_table._associations.values():
            return route_table
    for route_table in backend.route_tables.values():
        if route_table.vpc_id == vpc_id and route_table.main_association_id is not None:
            return route_table
    return None


def has_internet_route(backend: Any, route_table: Any, vpc_id: str) -> bool:
    for route in route_table.routes:
        gateway = route.gateway
        if route.destination_cidr_block != "0.0.0.0/0" or not isinstance(gateway, InternetGateway):
            continue
        attached_vpc = gateway.vpc
        exists = backend.internet_gateways.get(gateway.id) is gateway
        if exists and attached_vpc is not None and attached_vpc.id == vpc_id:
            return True
    return False


def check_internet_gateway(nat: NatGateway) -> tuple[str, str] | None:
    if (nat.connectivity_type or "public") != "public":
        return None
    backend = nat.ec2_backend
    route_table = effective_route_table(backend, nat.subnet_id, nat.vpc_id)
    if route_table is not None and has_internet_route(backend, route_table, nat.vpc_id):
        return None
    return FAILURE_CODE, f"Network {nat.vpc_id} has no Internet gateway attached"


def apply() -> None:
    if check_internet_gateway not in nat_lifecycle.FAILURE_CHECKS:
        nat_lifecycle.FAILURE_CHECKS.append(check_internet_gateway)
