# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The regional NAT gateway of a VPC (``CreateNatGateway AvailabilityMode=regional``): adopt, create or replace, wait,
delete.

A regional NAT gateway has no subnet: one gateway id serves every zone of its VPC, and it reaches the internet
gateway through a route table of its own that AWS makes for it. One of ours carries
``identity_tags(network, "nat-gateway", mode="regional")``. The VPC keeps one: a ``pending``/``available`` regional
NAT gateway found there is used as it is (ours or not; one that is not ours is never modified), a ``failed`` one of
ours is deleted and replaced, and one is created otherwise.

Addresses: without ``allocation_ids`` the gateway is in automatic mode, and AWS gives it addresses of its own in the
zones where workloads run (and releases them itself). With them it is in manual mode: the addresses are split
evenly over ``zones`` in zone order (see :func:`zone_addresses`) and, being the user's, are never released.

``CreateNatGateway`` gets a ClientToken derived from the network, the VPC, the mode, the addresses and the gateway it
succeeds, so a retried or re-run create returns the gateway the first attempt made instead of a second one.
"""

import hashlib

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import uncached
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, ResourceFailed
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import model_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    apply_tag_changes,
    desired_tags,
    has_identity,
    identity_filters,
    purges,
    tag_changes,
    tag_specifications,
    tags_after,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import elastic_ip
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway import (
    CHANGING_ACTIONS,
    COMPONENT,
    DEAD_STATES,
    DELETABLE_STATES,
    MAX_STALE_TOKENS,
    RESOURCE_TYPE,
    USABLE_STATES,
    age_key,
    delete_nat_gateway,
    note_releases,
    wait_deleted,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway_wait import refuse_dead

REGIONAL = "regional"
# The identity qualifier that tells our regional NAT gateway from our zonal ones (same component).
QUALIFIERS = {"mode": REGIONAL}


# -- pure helpers ------------------------------------------------------------------------------------------------


def zone_addresses(zones, allocation_ids, option="allocation_ids"):
    """``AvailabilityZoneAddresses`` for manual mode as ``[(zone, [allocation id...])]``; ``[]`` (automatic mode)
    without addresses.

    Every zone gets the same number of addresses, in zone order: with zones a, b and ids 1, 2, 3, 4, zone a gets 1, 2
    and zone b gets 3, 4. Any other count is refused (naming ``option``) before anything is changed.
    """
    allocation_ids = list(allocation_ids or [])
    if not allocation_ids:
        return []
    zones = list(zones or [])
    if not zones:
        raise InvalidInput(option, "manual mode needs the availability zones the addresses are for, in order")
    if len(allocation_ids) % len(zones):
        raise InvalidInput(
            option,
            f"has {len(allocation_ids)} entries for {len(zones)} zones ({', '.join(zones)}): a regional NAT gateway "
            f"takes the same number of addresses in each zone, zone by zone in zone order (a multiple of "
            f"{len(zones)}), or none for automatic mode",
        )
    per_zone = len(allocation_ids) // len(zones)
    return [(zone, allocation_ids[index * per_zone : (index + 1) * per_zone]) for index, zone in enumerate(zones)]


def client_token(network, vpc_id, addresses, replaces):
    """The ClientToken of CreateNatGateway (64 hex characters): same network, VPC, mode, addresses and predecessor
    (``replaces``: the id of the newest dead regional NAT gateway of ours, ``""`` for the first), same token."""
    mode = "manual" if addresses else "automatic"
    listing = ";".join(f"{zone}={','.join(ids)}" for zone, ids in addresses)
    material = "\n".join(("cloudreactor.aws.regional_nat_gateway", network, vpc_id, mode, listing, replaces or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def nat_name(network):
    return f"{network}-nat-regional"


def nat_tags(network, user_tags):
    return desired_tags(network, COMPONENT, user_tags, nat_name(network), **QUALIFIERS)


def is_ours(nat, network):
    return routing.is_regional_nat(nat) and has_identity(nat, network, COMPONENT, **QUALIFIERS)


def is_manual(nat):
    """AWS turns automatic expansion off when a regional NAT gateway is given its addresses."""
    return nat.get("AutoProvisionZones") == "disabled"


def allocation_ids_of(nat):
    return [address["AllocationId"] for address in (nat or {}).get("NatGatewayAddresses") or []]


def _summary(nat):
    """A regional NAT gateway as the diff shows it."""
    if nat is None:
        return None
    return {
        "nat_gateway_id": nat.get("NatGatewayId"),
        "state": nat.get("State"),
        "availability_mode": REGIONAL,
        "allocation_ids": allocation_ids_of(nat),
    }


def entry(nat, *, action, allocation_source, planned_addresses=(), replaced=None):
    """One regional NAT gateway as the modules return it: the keys of a zonal NAT gateway's entry (no subnet, no
    zone), plus its mode, its addresses by zone and its route table."""
    nat = nat or {}
    replaced = replaced or {}
    addresses = [
        {
            "availability_zone": address.get("AvailabilityZone"),
            "allocation_id": address.get("AllocationId"),
            "public_ip": address.get("PublicIp"),
        }
        for address in nat.get("NatGatewayAddresses") or []
    ] or [
        {"availability_zone": zone, "allocation_id": allocation_id, "public_ip": None}
        for zone, ids in planned_addresses
        for allocation_id in ids
    ]
    return {
        "subnet_id": None,
        "availability_zone": None,
        "availability_mode": REGIONAL,
        "nat_gateway_id": nat.get("NatGatewayId"),
        "state": nat.get("State"),
        "allocation_id": addresses[0]["allocation_id"] if addresses else None,
        "public_ip": addresses[0]["public_ip"] if addresses else None,
        "allocation_source": allocation_source,
        "addresses": addresses,
        "route_table_id": nat.get("RouteTableId"),
        "action": action,
        "replaced_nat_gateway_id": replaced.get("NatGatewayId"),
        "failure_code": replaced.get("FailureCode"),
        "failure_message": replaced.get("FailureMessage"),
    }


def validate_options(params):
    """Checks of the nat_gateway module's regional mode that need no AWS call; returns its zone addresses."""
    if not (params["network_name"] or "").strip():
        raise InvalidInput("network_name", "must not be empty")
    if params["wait_timeout"] < 0:
        raise InvalidInput("wait_timeout", "must be 0 or more seconds")
    if params["subnet_ids"]:
        raise InvalidInput("subnet_ids", "a regional NAT gateway has no subnet: give vpc_id instead")
    if params["vpc_id"]:
        check_id_format("vpc_id", params["vpc_id"], "vpc")
    elif params["state"] == "present":
        raise InvalidInput("vpc_id", "give the VPC of the regional NAT gateway when state is present")
    zones = list(params["availability_zones"] or [])
    allocation_ids = list(params["allocation_ids"] or [])
    check_id_format("allocation_ids", allocation_ids, "eipalloc")
    if len(set(allocation_ids)) != len(allocation_ids):
        raise InvalidInput("allocation_ids", "lists an address more than once")
    if len(set(zones)) != len(zones):
        raise InvalidInput("availability_zones", "lists a zone more than once")
    if params["state"] == "present":
        return zone_addresses(zones, allocation_ids)
    return []


# -- the run -----------------------------------------------------------------------------------------------------


class RegionalNatGatewayManager:
    """The regional NAT gateway of network ``network`` in ``vpc_id`` (for ``absent()``, none means every VPC).

    ``zones`` and ``allocation_ids``: the user's addresses for manual mode, split over the zones by
    :func:`zone_addresses`; none, automatic mode. Given addresses are never released."""

    def __init__(
        self,
        client,
        *,
        network,
        vpc_id=None,
        zones=(),
        allocation_ids=(),
        wait=True,
        wait_timeout=600,
        user_tags=None,
        purge_tags=True,
        check_mode=False,
        warn,
    ):
        self.client = model_of(client)
        self.check_mode = check_mode
        self.warn = warn
        self.network = network
        self.vpc_id = vpc_id
        self.zones = list(zones)
        self.allocation_ids = list(allocation_ids)
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.user_tags = {str(key): str(value) for key, value in (user_tags or {}).items()}
        self.purge_tags = purges(user_tags, purge_tags)
        self.nat = None  # present()'s: the gateway kept or created

    # -- present -------------------------------------------------------------------------------------------------

    def present(self):
        addresses = zone_addresses(self.zones, self.allocation_ids)
        describe.describe_vpc(self.client, self.vpc_id)
        nats = [nat for nat in describe.vpc_nat_gateways(self.client, self.vpc_id) if routing.is_regional_nat(nat)]
        given = elastic_ip.given_addresses(self.client, self.allocation_ids)
        kept = self._usable(nats)
        if kept is not None:
            return self._keep(kept)

        ours_dead = [nat for nat in nats if is_ours(nat, self.network) and nat.get("State") in DEAD_STATES]
        failed = sorted((nat for nat in ours_dead if nat.get("State") == "failed"), key=age_key)
        replaced = failed[-1] if failed else None
        predecessor = max(ours_dead, key=age_key)["NatGatewayId"] if ours_dead else ""
        dead_ids = {nat["NatGatewayId"] for nat in nats if nat.get("State") in DEAD_STATES}
        # Our gateway being deleted may still hold the user's addresses: they come free once it is deleted.
        draining = [
            nat
            for nat in ours_dead
            if nat.get("State") == "deleting" and set(allocation_ids_of(nat)) & set(self.allocation_ids)
        ]
        self._refuse_busy_addresses(given, draining)
        self._refuse_without_internet_gateway()
        # All input is valid: from here on the run may change things.

        action = "replaced" if replaced else "created"
        if not self.check_mode:
            for nat in failed:
                delete_nat_gateway(self.client, nat["NatGatewayId"])
            if draining:
                wait_deleted(self.client, draining, self.wait_timeout, f"regional NAT gateway of {self.network}")
            self.nat = self._create(addresses, predecessor, dead_ids)
            if self.wait:
                self.wait_for_pending()
        after = _summary(self.nat) or {
            "nat_gateway_id": None,
            "state": None,
            "availability_mode": REGIONAL,
            "allocation_ids": list(self.allocation_ids),
        }
        return Outcome(
            changed=True,
            actions=[f"{action} regional NAT gateway" + (f" {self.nat['NatGatewayId']}" if self.nat else "")],
            diff={"before": _summary(replaced), "after": after},
            data={
                "nat_gateways": [
                    entry(
                        self.nat,
                        action=action,
                        allocation_source="given" if self.allocation_ids else "automatic",
                        planned_addresses=addresses,
                        replaced=replaced,
                    )
                ]
            },
        )

    def _usable(self, nats):
        """The VPC's live regional NAT gateway: ours first, then available before pending, then the oldest (the
        same one every run); ``None`` when there is none."""
        usable = [nat for nat in nats if nat.get("State") in USABLE_STATES]
        if not usable:
            return None
        usable.sort(key=lambda nat: (not is_ours(nat, self.network), nat.get("State") != "available", age_key(nat)))
        if len(usable) > 1:
            others = ", ".join(nat["NatGatewayId"] for nat in usable[1:])
            self.warn(
                f"VPC {self.vpc_id} has several regional NAT gateways; using {usable[0]['NatGatewayId']}, not {others}"
            )
        return usable[0]

    def _keep(self, nat):
        """Use the VPC's regional NAT gateway as it is; bring our own one's tags up to date."""
        self.nat = nat
        self._warn_unused_addresses(nat)
        ours = is_ours(nat, self.network)
        changes = tag_changes(tags_of(nat), nat_tags(self.network, self.user_tags), self.purge_tags) if ours else None
        action = "updated" if changes else "none" if ours else "adopted"
        if changes and not self.check_mode:
            apply_tag_changes(self.client, nat["NatGatewayId"], changes)
            tags = tags_after(tags_of(nat), changes)
            self.nat = {**nat, "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}
            self.client.record("describe_nat_gateways", self.nat)
        if nat.get("State") == "pending" and self.wait and not self.check_mode:
            self.wait_for_pending()
        return Outcome(
            changed=action in CHANGING_ACTIONS,
            actions=[f"updated regional NAT gateway {nat['NatGatewayId']}"] if action == "updated" else [],
            diff={"before": _summary(nat), "after": _summary(self.nat)},
            data={"nat_gateways": [entry(self.nat, action=action, allocation_source="existing")]},
        )

    def _warn_unused_addresses(self, nat):
        nat_id = nat["NatGatewayId"]
        if self.allocation_ids and (not is_manual(nat) or set(allocation_ids_of(nat)) != set(self.allocation_ids)):
            has = f"addresses {', '.join(allocation_ids_of(nat))}" if is_manual(nat) else "automatic mode"
            self.warn(
                f"allocation_ids: the VPC keeps regional NAT gateway {nat_id} ({has}); the given addresses are not "
                "used. Delete that NAT gateway to have one built with them."
            )
        elif not self.allocation_ids and is_manual(nat) and is_ours(nat, self.network):
            self.warn(
                f"regional NAT gateway {nat_id} keeps its manual-mode addresses {', '.join(allocation_ids_of(nat))} "
                "although allocation_ids is empty; delete it to have one built in automatic mode"
            )

    def _refuse_busy_addresses(self, given, draining):
        draining_enis = {
            address.get("NetworkInterfaceId")
            for nat in draining
            for address in nat.get("NatGatewayAddresses") or []
            if address.get("NetworkInterfaceId")
        }
        for allocation_id in self.allocation_ids:
            eip = given[allocation_id]
            if eip.get("Domain", "vpc") != "vpc":
                raise InvalidInput("allocation_ids", f"{allocation_id} is not a VPC address (Domain vpc)")
            used_by = elastic_ip.association(eip)
            if used_by and eip.get("NetworkInterfaceId") not in draining_enis:
                raise InvalidInput("allocation_ids", f"{allocation_id} is already associated with {used_by}")

    def _refuse_without_internet_gateway(self):
        """AWS fails a regional NAT gateway in a VPC without an attached internet gateway (Gateway.NotAttached):
        refuse it up front."""
        igws = describe.vpc_internet_gateways(self.client, self.vpc_id)
        if not any(routing.igw_attached_to(igw, self.vpc_id) for igw in igws):
            raise InvalidInput(
                "vpc_id",
                f"{self.vpc_id} has no internet gateway attached: a regional NAT gateway reaches the internet through "
                "it, and AWS fails one created without it (Gateway.NotAttached). Attach one first "
                "(cloudreactor.aws.internet_gateway)",
            )

    def _create(self, addresses, predecessor, dead_ids):
        """Create the gateway; a retried or re-run create with the same inputs returns the same one. A token AWS
        still remembers for a gateway that is gone makes that gateway the predecessor of the next token (as in
        nat_gateway.py)."""
        zone_entries = [{"AvailabilityZone": zone, "AllocationIds": ids} for zone, ids in addresses]
        for _attempt in range(MAX_STALE_TOKENS):
            nat = self.client.create_nat_gateway(
                AvailabilityMode=REGIONAL,
                VpcId=self.vpc_id,
                ClientToken=client_token(self.network, self.vpc_id, addresses, predecessor),
                TagSpecifications=tag_specifications(RESOURCE_TYPE, nat_tags(self.network, self.user_tags)),
                aws_retry=True,
                **({"AvailabilityZoneAddresses": zone_entries} if zone_entries else {}),
            )["NatGateway"]
            if nat["NatGatewayId"] not in dead_ids and nat.get("State") not in ("deleting", "deleted"):
                self.client.record("describe_nat_gateways", nat, created=True)
                return nat
            predecessor = nat["NatGatewayId"]
        raise ResourceFailed(
            f"CreateNatGateway (regional) in {self.vpc_id} keeps returning NAT gateways that are gone (last: "
            f"{predecessor}); try again later",
            changed=True,
        )

    def wait_for_pending(self):
        """Wait until the gateway ``present()`` kept or created is available (with ``wait=False``, a caller does
        other work first: the private routes can point at a pending NAT gateway)."""
        if not self.nat or self.nat.get("State") != "pending":
            return
        nat_id = self.nat["NatGatewayId"]
        client = uncached(self.client)

        def check():
            found = describe.nat_gateways_by_id(client, [nat_id]).get(nat_id)
            if found is None:
                return False, f"{nat_id} (not visible yet)"
            self.nat = found
            refuse_dead(found, None, changed=self.client.created(nat_id))
            return found.get("State") == "available", f"{nat_id} ({found.get('State')})"

        poll_until(check, self.wait_timeout, f"regional NAT gateway of {self.network} to become available")
        self.client.record("describe_nat_gateways", self.nat)

    # -- absent --------------------------------------------------------------------------------------------------

    def absent(self):
        filters = identity_filters(self.network, COMPONENT, **QUALIFIERS)
        if self.vpc_id:
            filters += describe.vpc_filter(self.vpc_id)
        listed = [nat for nat in describe.nat_gateways_where(self.client, filters) if routing.is_regional_nat(nat)]
        note_releases(self.client, listed)
        nats = sorted((nat for nat in listed if nat.get("State") != "deleted"), key=age_key, reverse=True)
        to_delete = [nat for nat in nats if nat.get("State") in DELETABLE_STATES]
        deleted_ids = {nat["NatGatewayId"] for nat in to_delete}
        before = _summary(nats[0]) if nats else None
        if not self.check_mode:
            for nat in to_delete:
                delete_nat_gateway(self.client, nat["NatGatewayId"])
                nat["State"] = "deleting"
            if nats and self.wait:
                states = wait_deleted(self.client, nats, self.wait_timeout, f"regional NAT gateway of {self.network}")
                for nat in nats:
                    nat["State"] = states.get(nat["NatGatewayId"], "deleted")
        # Nothing to release: AWS owns the addresses of automatic mode, and manual mode's are the user's.
        return Outcome(
            changed=bool(to_delete),
            actions=[f"deleted regional NAT gateway {nat['NatGatewayId']}" for nat in to_delete],
            diff={"before": before, "after": None},
            data={
                "nat_gateways": [
                    entry(
                        nat,
                        action="deleted" if nat["NatGatewayId"] in deleted_ids else "none",
                        allocation_source=None,
                    )
                    for nat in nats
                ],
                "released_allocation_ids": [],
            },
        )


def run(client, module):
    """The nat_gateway module's work with ``availability_mode: regional``; returns the result for ``exit_json``."""
    params = module.params
    validate_options(params)
    manager = RegionalNatGatewayManager(
        client,
        network=params["network_name"],
        vpc_id=params["vpc_id"],
        zones=params["availability_zones"] or [],
        allocation_ids=params["allocation_ids"] or [],
        wait=params["wait"],
        wait_timeout=params["wait_timeout"],
        user_tags=params["tags"],
        purge_tags=params["purge_tags"],
        check_mode=module.check_mode,
        warn=module.warn,
    )
    outcome = manager.present() if params["state"] == "present" else manager.absent()
    return outcome.result()
