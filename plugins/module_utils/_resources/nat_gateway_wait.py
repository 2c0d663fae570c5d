# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for NAT gateways in short rounds, so a playbook can print their states between rounds.

On AWS a new NAT gateway is ``pending`` for minutes. A module that waits that long prints nothing until it returns,
and people cancel runs that look hung. So the ``network`` module can leave new NAT gateways pending (it reports them,
see :func:`pending_nat_gateways`), and the ``nat_gateway_wait`` module waits for them a few seconds at a time
(:func:`wait_available`): the role prints one line per round, in the play's output.
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import ResourceFailed, WaitTimeout


def refuse_dead(nat, subnet_id, changed):
    """Raise :class:`ResourceFailed` when ``nat`` will never become available: a failed one with AWS's FailureCode
    and FailureMessage, or one being deleted. ``changed`` tells Ansible whether the failing run changed anything.
    ``subnet_id`` is ``None`` for a regional NAT gateway, which has no subnet."""
    nat_id = nat["NatGatewayId"]
    where = f"in subnet {subnet_id}" if subnet_id else f"(regional, in {nat.get('VpcId')})"
    state = nat.get("State")
    if state == "failed":
        raise ResourceFailed(
            f"NAT gateway {nat_id} {where} failed: "
            f"{nat.get('FailureCode', 'no code')}: {nat.get('FailureMessage', 'no message')}",
            subnet_id=subnet_id,
            nat_gateway_id=nat_id,
            failure_code=nat.get("FailureCode"),
            failure_message=nat.get("FailureMessage"),
            changed=changed,
        )
    if state in ("deleting", "deleted"):
        raise ResourceFailed(
            f"NAT gateway {nat_id} {where} is {state} (deleted by someone else?)",
            subnet_id=subnet_id,
            nat_gateway_id=nat_id,
            changed=changed,
        )


def pending_nat_gateways(nat_data):
    """The NAT gateways of ``nat_data`` (what ``NatGatewayManager.present()`` or ``RegionalNatGatewayManager.present()``
    found or made) that are not available yet, as the ``network`` module returns them. A regional NAT gateway serves
    every zone: its zone is shown as ``regional``."""
    return [
        {
            "nat_gateway_id": nat["nat_gateway_id"],
            "availability_zone": "regional" if nat.get("availability_mode") == "regional" else nat["availability_zone"],
            "subnet_id": nat["subnet_id"],
            "state": nat["state"],
        }
        for nat in nat_data["nat_gateways"]
        if nat["nat_gateway_id"] and nat["state"] != "available"
    ]


def wait_available(client, nat_gateway_ids, timeout):
    """Poll ``nat_gateway_ids`` (one describe per poll) until all are available or ``timeout`` seconds pass.

    Returns ``(all_available, states)``; ``states`` lists each NAT gateway's ``nat_gateway_id``, ``subnet_id`` and
    ``state`` as the last poll saw them (``None`` while EC2 does not list a new one yet). A failed NAT gateway
    raises at once (see :func:`refuse_dead`): waiting longer cannot help.
    """
    seen = {}

    def check():
        seen.update(describe.nat_gateways_by_id(client, nat_gateway_ids))
        for nat in seen.values():
            refuse_dead(nat, nat.get("SubnetId"), changed=False)
        not_ready = [nat_id for nat_id in nat_gateway_ids if seen.get(nat_id, {}).get("State") != "available"]
        return not not_ready, ", ".join(not_ready)

    try:
        poll_until(check, timeout, "NAT gateways to become available")
        all_available = True
    except WaitTimeout:
        all_available = False  # the caller reports the states and decides whether to wait again
    states = [
        {
            "nat_gateway_id": nat_id,
            "subnet_id": seen.get(nat_id, {}).get("SubnetId"),
            "state": seen.get(nat_id, {}).get("State"),
        }
        for nat_id in nat_gateway_ids
    ]
    return all_available, states
