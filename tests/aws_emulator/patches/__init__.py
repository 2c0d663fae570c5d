"""Patches that make moto's EC2 behave like AWS where the cloudreactor.aws collection depends on it.

One module per behaviour; each module's docstring says which AWS behaviour it restores and why, and each has a
proof test in tests/emulator/. ``apply_all()`` must run in the server process before the moto app is created.

``AWS_EMULATOR_SKIP_PATCHES=name,name`` (module names) leaves patches out; it exists to check that the proof tests
fail without their patch: tests/emulator/test_emulator_patch_proofs.py checks it for every patch, and by hand
``AWS_EMULATOR_SKIP_PATCHES=route_blackhole pytest tests/emulator`` shows how they fail.
"""

import os
import sys
from importlib.metadata import version

from aws_emulator import PINNED_MOTO_VERSION

from . import (
    egress_only_gateway,
    eventual_consistency,
    gateway_endpoint_routes,
    ipv6_route_exists,
    key_pair_claims,
    nat_client_token,
    nat_eip_release,
    nat_failure,
    nat_lifecycle,
    nat_regional,
    nat_state_events,
    natgateway_tag_type,
    network_acl_ipv6,
    not_found_errors,
    route_blackhole,
    route_state_filter,
    security_group_ipv6_egress,
    security_group_name_case,
    subnet_dns64,
    subnet_ipv6_cidr,
    subnet_ipv6_state,
    vpc_endpoint_client_token,
    vpc_ipv6_cidr,
)

#: Application order matters: the lifecycle replaces moto's NAT describe/delete, the others build on it;
#: egress_only_gateway's route state defers to route_blackhole's.
PATCHES = (
    natgateway_tag_type,
    nat_lifecycle,
    nat_failure,
    nat_eip_release,
    route_blackhole,
    route_state_filter,
    nat_client_token,
    not_found_errors,
    eventual_consistency,
    nat_regional,
    gateway_endpoint_routes,
    vpc_endpoint_client_token,
    nat_state_events,
    key_pair_claims,
    subnet_dns64,
    subnet_ipv6_state,
    subnet_ipv6_cidr,
    vpc_ipv6_cidr,
    security_group_ipv6_egress,
    security_group_name_case,
    network_acl_ipv6,
    egress_only_gateway,
    ipv6_route_exists,
)

_applied: set[str] = set()


def apply_all() -> None:
    """Apply every patch once (idempotent). Warns on stderr when moto is not the pinned version."""
    if _applied:
        return
    installed = version("moto")
    if installed != PINNED_MOTO_VERSION:
        print(
            f"aws_emulator: warning: patches target moto {PINNED_MOTO_VERSION}, found {installed}; "
            "run tests/emulator to check them",
            file=sys.stderr,
        )
    skipped = {name.strip() for name in os.environ.get("AWS_EMULATOR_SKIP_PATCHES", "").split(",") if name.strip()}
    unknown = skipped - {patch.__name__.rsplit(".", 1)[1] for patch in PATCHES}
    if unknown:
        raise ValueError(f"AWS_EMULATOR_SKIP_PATCHES: unknown patch(es) {sorted(unknown)}")
    for patch in PATCHES:
        if patch.__name__.rsplit(".", 1)[1] in skipped:
            print(f"aws_emulator: warning: patch {patch.__name__} skipped", file=sys.stderr)
            continue
        patch.apply()
    _applied.add("all")
