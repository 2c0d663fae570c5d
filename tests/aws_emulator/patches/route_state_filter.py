"""DescribeRouteTables supports the ``route.state`` filter (AWS), instead of moto's "filter not implemented" (500).

Why: finding route tables with ``blackhole`` routes (``Filters=[{"Name": "route.state", "Values": ["blackhole"]}]``)
is how our roles locate routes to repair; stock moto answers that request with HTTP 500.

How: ``RouteTable.get_filter_value("route.state")`` returns the states of the table's routes (``Route.state``,
``active``/``blackhole`` with the ``route_blackhole`` patch); every other filter goes to moto's implementation.
"""

from typing import Any

from moto.ec2.models.route_tables import RouteTable

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = ("test_emulator_routes_eip.py::test_route_state_filter",)

_PATCHED_FLAG = "_aws_emulator_route_state_filter_patched"


def apply() -> None:
    if getattr(RouteTable, _PATCHED_FLAG, False):
        return
    original = RouteTable.get_filter_value

    def get_filter_value(self: RouteTable, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "route.state":
            return [route.state for route in self._routes.values()]
        return original(self, filter_name, method_name)

    RouteTable.get_filter_value = get_filter_value  # type: ignore[method-assign]
    setattr(RouteTable, _PATCHED_FLAG, True)
