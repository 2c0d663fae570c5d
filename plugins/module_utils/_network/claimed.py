# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the ``network`` module: runs that change one network never overlap (docs/reliability.md, section 7).

EC2 deduplicates no CreateVpc, CreateInternetGateway, AllocateAddress, CreateSubnet or CreateSecurityGroup: two runs
that read the network at once and both find something missing both make it. So a run that changes the network holds
the network's claim (:class:`lease.NetworkClaim`) while it does, and gives it back at the end, also on failure.

A run pays for the claim only when it changes something. It first plans, as check mode does, from one reading of
the network; with nothing to change it finishes on that same reading (no claim call, no second describe). With
something to change, it takes the claim (waiting while another run holds it) and reads the network again: what it
read before may be what another run was in the middle of changing. Check mode never claims.

A network that already has more than one VPC (runs that raced before there was a claim) is brought back to one
before the converge (duplicates.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.lease import NetworkClaim
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import RunModel
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.converge import NetworkConverge, check_options
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.duplicates import choose_vpc, network_vpcs
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.teardown import NetworkTeardown

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    BotoCoreError = ClientError = ()


def run_network(
    client: Any, params: Mapping[str, Any], check_mode: bool, warn: Callable[[str], None]
) -> dict[str, Any]:
    """The ``network`` module's result for ``params`` (``state`` present: build and repair; absent: remove)."""
    check_options(params)  # before the first call, whatever follows
    present = params["state"] == "present"
    runner = NetworkConverge if present else NetworkTeardown
    model = RunModel(client)
    # A converge removes the network's duplicate VPCs first (a teardown removes every VPC of the network anyway).
    # The same describe as the converge's own search for its VPC: answered from the model, no call of its own.
    duplicated = present and not params["vpc_id"] and len(network_vpcs(model, params["network_name"])) > 1
    if check_mode:
        result = runner(model, params, True, warn).run()
        planned = ["remove the network's duplicate VPCs that nothing uses"] if duplicated else []
        return with_duplicates_removed(result, planned)
    # The plan's warnings are the real run's too: only the run that returns reports them.
    plan = runner(model, {**params, "audit": False}, True, lambda _message: None).run()
    if not plan["changed"] and not duplicated:
        return runner(model, params, False, warn).run()

    claim = NetworkClaim(client, params["network_name"], lease=params["claim_lease"])
    # The VPC the plan found goes on the claim at once, for a run that waits for it (a teardown's is on its way out).
    known_vpc_id = plan["network"].get("vpc_id") if params["state"] == "present" else None
    claim.take(params["claim_timeout"], vpc_id=known_vpc_id)
    try:
        model = RunModel(client)
        removed = remove_duplicates(model, params, warn, claim) if present and not params["vpc_id"] else []
        return with_duplicates_removed(runner(model, params, False, warn, claim=claim).run(), removed)
    finally:
        try:
            claim.release()
        except (BotoCoreError, ClientError) as error:
            warn(
                f"Could not release network {params['network_name']}'s claim (key pair {claim.name}): {error}. The "
                f"next run takes it over once its lease ends, or delete it now with: aws ec2 delete-key-pair "
                f"--key-pair-id {claim.key_pair_id}"
            )


def remove_duplicates(
    model: RunModel, params: Mapping[str, Any], warn: Callable[[str], None], claim: NetworkClaim
) -> list[str]:
    """Remove the network's duplicate VPCs (duplicates.py) that nothing uses, with what is the network's in them;
    returns the change lines. Fails, changing nothing, when more than one is in use."""
    vpcs = network_vpcs(model, params["network_name"])
    if len(vpcs) < 2:
        return []
    _kept, others = choose_vpc(model, params["network_name"], vpcs)
    teardown = NetworkTeardown(model, params, False, warn, claim=claim)
    for duplicate in others:
        teardown.remove(duplicate, duplicate=True)
    return teardown.changes


def with_duplicates_removed(result: dict[str, Any], removed: list[str]) -> dict[str, Any]:
    """``result`` with the change lines of the duplicates removed (or to remove) before its own."""
    if removed:
        result["changes"][:0] = removed
        result["changed"] = True
    return result
