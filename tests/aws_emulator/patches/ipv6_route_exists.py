"""CreateRoute refuses an IPv6 destination the route table already has (``RouteAlreadyExists``, AWS), instead of
moto silently replacing the route.

Why: AWS answers CreateRoute for a destination that is already in the table with ``RouteAlreadyExists``, for IPv6
destinations as for IPv4 (stock moto checks only IPv4); changing a route's target takes ReplaceRoute. The
collection repairs a ``::/0`` or ``64:ff9b::/96`` route that points at a dead gateway; against stock moto a
CreateRoute would "repair" it too, so a repair using the wrong call would pass every test.

How: wraps the backend's ``create_route``; a ``destination_ipv6_cidr_block`` equal to one of the table's non-local
IPv6 destinations raises moto's ``RouteAlreadyExistsError`` before moto runs.
"""

import ipaddress
from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import RouteAlreadyExistsError
from moto.ec2.models.route_tables import RouteBackend

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = ("test_emulator_ipv6.py::test_create_route_of_an_existing_ipv6_destination_is_refused",)

_PATCHED_FLAG = "_aws_emulator_ipv6_route_exists_patched"


def _wrap_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_route(
        self: Any,
        route_table_id: str,
        destination_cidr_block: str | None,
        destination_ipv6_cidr_block: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if destination_ipv6_cidr_block and not kwargs.get("local"):
            destination = ipaddress.IPv6Network(destination_ipv6_cidr_block)
            for route in self.get_route_table(route_table_id)._routes.values():
                known = route.destination_ipv6_cidr_block
                if known and not route.local and ipaddress.IPv6Network(known) == destination:
                    raise RouteAlreadyExistsError(destination_ipv6_cidr_block)
        return original(self, route_table_id, destination_cidr_block, destination_ipv6_cidr_block, *args, **kwargs)

    return create_route


def apply() -> None:
    if getattr(RouteBackend, _PATCHED_FLAG, False):
        return
    RouteBackend.create_route = _wrap_create(RouteBackend.create_route)  # type: ignore[method-assign]
    setattr(RouteBackend, _PATCHED_FLAG, True)
