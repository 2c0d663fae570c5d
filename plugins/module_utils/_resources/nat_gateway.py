# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public NAT gateways, one per public subnet: plan, create or replace, wait for all at once, delete.

A NAT gateway of ours carries ``identity_tags(network, "nat-gateway", az=<zone>, subnet=<subnet id>)``. In each
subnet we keep a ``pending``/``available`` public NAT gateway when there is one (ours or not; one that is not ours
is used but never modified), replace a ``failed`` one of ours, and create one otherwise. Every read and every
check happens before the first mutating call, so a run that refuses its input has changed nothing.

``CreateNatGateway`` gets a ClientToken derived from what the NAT is for (network, subnet, address, and the NAT it
succeeds), so a retried or re-run create returns the NAT gateway the first attempt made instead of a second one.
"""

import datetime
import hashlib
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import look_for
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import uncached
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import PROPAGATION_TIMEOUT
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, ResourceFailed
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import model_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    TAG_PREFIX,
    apply_tag_changes,
    desired_tags,
    identity_filters,
    is_ours,
    purges,
    tag_changes,
    tag_specifications,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import elastic_ip
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway_wait import refuse_dead

COMPONENT = "nat-gateway"
RESOURCE_TYPE = "natgateway"  # TagSpecifications resource type of CreateNatGateway

USABLE_STATES = routing.NAT_USABLE_STATES
DEAD_STATES = routing.NAT_DEAD_STATES
DELETABLE_STATES = ("pending", "available", "failed")

# How many times a create may meet a ClientToken already spent on a NAT gateway that is gone (see _create).
MAX_STALE_TOKENS = 5

CHANGING_ACTIONS = ("created", "replaced", "updated", "deleted")


# -- pure helpers ------------------------------------------------------------------------------------------------


def client_token(network, subnet_id, allocation_id, replaces):
    """The ClientToken of CreateNatGateway: 64 hex characters (AWS accepts up to 64 ASCII), same input, same token.

    ``replaces`` is the id of the NAT gateway of ours this one succeeds in the subnet ("" for the first), so a new
    NAT after a failed or deleted one never reuses a token spent on its predecessor.
    """
    material = "\n".join(("cloudreactor.aws.nat_gateway", network, subnet_id, allocation_id or "", replaces or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def nat_name(network, az):
    return f"{network}-nat-{az}"


def eip_name(network, az):
    return f"{network}-nat-eip-{az}"


def nat_tags(network, user_tags, subnet):
    az = subnet["AvailabilityZone"]
    return desired_tags(network, COMPONENT, user_tags, nat_name(network, az), az=az, subnet=subnet["SubnetId"])


def eip_tags(network, user_tags, subnet):
    az = subnet["AvailabilityZone"]
    return desired_tags(network, elastic_ip.COMPONENT, user_tags, eip_name(network, az), subnet=subnet["SubnetId"])


def is_public(nat):
    return (nat.get("ConnectivityType") or "public") == "public"


def routes_to(route_tables, nat_ids):
    """``(table, route)`` for every route of ``route_tables`` whose target is one of ``nat_ids``."""
    return [
        (table, route)
        for table in sorted(route_tables, key=lambda table: table["RouteTableId"])
        for route in table.get("Routes") or []
        if route.get("NatGatewayId") in nat_ids
    ]


def held_by_unlisted_nat(nats, addresses):
    """True when one of ``addresses`` is mapped to a network interface that no NAT gateway of ``nats`` holds."""
    listed = {address.get("AllocationId") for nat in nats for address in nat.get("NatGatewayAddresses") or []}
    return any(address.get("NetworkInterfaceId") and address["AllocationId"] not in listed for address in addresses)


def recently_gone(nat):
    """True for a NAT gateway being deleted, or deleted so recently that AWS may still be releasing its network
    interface and public address (the subnet, VPC and internet gateway wait on that release)."""
    if nat.get("State") == "deleting":
        return True
    deleted_at = nat.get("DeleteTime")
    if nat.get("State") != "deleted" or not isinstance(deleted_at, datetime.datetime):
        return False
    return time.time() - deleted_at.timestamp() < PROPAGATION_TIMEOUT


def age_key(nat):
    """Sorts NAT gateways oldest first (ties by id): which one is kept, and which one a new one succeeds."""
    return (str(nat.get("CreateTime") or ""), nat["NatGatewayId"])


def primary_address(nat):
    """The NAT gateway's primary address entry (AllocationId, PublicIp, NetworkInterfaceId...), or ``{}``."""
    addresses = (nat or {}).get("NatGatewayAddresses") or []
    return next((address for address in addresses if address.get("IsPrimary")), addresses[0] if addresses else {})


def _summary(nat):
    """A NAT gateway as the diff shows it."""
    if nat is None:
        return None
    return {
        "nat_gateway_id": nat.get("NatGatewayId"),
        "state": nat.get("State"),
        "allocation_id": primary_address(nat).get("AllocationId"),
    }


def validate_options(params):
    """Check what needs no AWS call; return ``(subnet_ids, allocation_ids)`` as lists."""
    if not (params["network_name"] or "").strip():
        raise InvalidInput("network_name", "must not be empty")
    if params["wait_timeout"] < 0:
        raise InvalidInput("wait_timeout", "must be 0 or more seconds")
    for option in ("vpc_id", "availability_zones"):
        if params.get(option):
            raise InvalidInput(option, "is for availability_mode regional; a zonal NAT gateway's subnet gives both")
    subnet_ids = list(params["subnet_ids"] or [])
    allocation_ids = list(params["allocation_ids"] or [])
    check_id_format("subnet_ids", subnet_ids, "subnet")
    check_id_format("allocation_ids", allocation_ids, "eipalloc")
    _refuse_duplicates("subnet_ids", subnet_ids, "one NAT gateway per subnet")
    _refuse_duplicates("allocation_ids", allocation_ids, "an address serves one NAT gateway")
    if params["state"] == "present":
        if not subnet_ids:
            raise InvalidInput("subnet_ids", "give at least one public subnet when state is present")
        if allocation_ids and len(allocation_ids) != len(subnet_ids):
            raise InvalidInput(
                "allocation_ids",
                f"has {len(allocation_ids)} entries for {len(subnet_ids)} subnet_ids: give one allocation id per "
                "subnet, in the same order, or none",
            )
    return subnet_ids, allocation_ids


def _refuse_duplicates(option, values, why):
    seen = set()
    for value in values:
        if value in seen:
            raise InvalidInput(option, f"{value} is listed more than once ({why})")
        seen.add(value)


def single_vpc(subnets):
    """The one VPC of ``subnets``; subnets in several VPCs cannot form one network."""
    vpcs = {}
    for subnet in subnets:
        vpcs.setdefault(subnet["VpcId"], []).append(subnet["SubnetId"])
    if len(vpcs) > 1:
        listing = "; ".join(f"{vpc_id}: {', '.join(ids)}" for vpc_id, ids in sorted(vpcs.items()))
        raise InvalidInput("subnet_ids", f"the subnets are in {len(vpcs)} VPCs ({listing}); give subnets of one VPC")
    return subnets[0]["VpcId"]


def not_public_reason(subnet_id, vpc_id, route_tables, igws_by_id):
    """Why ``subnet_id`` cannot hold a public NAT gateway (``None`` when its default route reaches an attached IGW)."""
    if routing.reaches_internet_gateway(subnet_id, vpc_id, route_tables, igws_by_id):
        return None
    table = routing.effective_route_table(subnet_id, vpc_id, route_tables)
    if table is None:
        return f"subnet {subnet_id} has no route table (the VPC {vpc_id} has no main route table)"
    explicit = routing.explicit_association(subnet_id, route_tables)[0]
    where = f"route table {table['RouteTableId']}" if explicit else f"the main route table {table['RouteTableId']}"
    route = routing.default_route(table)
    if route is None:
        problem = "has no 0.0.0.0/0 route"
    else:
        kind, target = routing.route_target(route)
        if kind == "internet_gateway":
            problem = f"sends 0.0.0.0/0 to {target}, but " + (
                routing.route_problem(route, vpc_id, igws_by_id, {}) or "that route does not work"
            )
        else:
            problem = f"sends 0.0.0.0/0 to {target}, not to an internet gateway"
    return f"subnet {subnet_id} routes through {where}, which {problem}"


# -- the plan of one subnet --------------------------------------------------------------------------------------


# -- calls shared with regional_nat_gateway.py -------------------------------------------------------------------


def delete_nat_gateway(client, nat_id):
    """Delete ``nat_id`` (one already gone is fine) and tell the run's model that what it held is being released."""
    try:
        client.delete_nat_gateway(NatGatewayId=nat_id, aws_retry=True)
    except is_boto3_error_code(["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"]):
        pass
    # Its network interfaces and public addresses are released a while after it is deleted.
    client.releasing(f"NAT gateway {nat_id}")


def note_releases(client, nats):
    """Tell the run's model about ``nats`` deleted a moment ago: AWS may still be releasing what they held."""
    for nat in nats:
        if recently_gone(nat):
            client.releasing(f"NAT gateway {nat['NatGatewayId']} ({nat['State']})")


def wait_deleted(client, nats, timeout, what):
    """Poll all of ``nats`` with one describe per round until each is ``deleted`` (or no longer listed); returns the
    states last seen, by id. ``what`` names them in a timeout's message."""
    ids = [nat["NatGatewayId"] for nat in nats]
    states = {}
    client = uncached(client)

    def check():
        found = describe.nat_gateways_by_id(client, ids)
        states.clear()
        states.update({nat_id: found[nat_id].get("State") for nat_id in ids if nat_id in found})
        not_ready = [f"{nat_id} ({state})" for nat_id, state in states.items() if state != "deleted"]
        return not not_ready, ", ".join(not_ready)

    poll_until(check, timeout, f"{what} to be deleted")
    return states


class SubnetPlan:
    """What happens in one subnet: the NAT gateway kept or made there, and its Elastic IP."""

    def __init__(self, subnet):
        self.subnet = subnet
        self.subnet_id = subnet["SubnetId"]
        self.az = subnet["AvailabilityZone"]
        self.action = "none"
        self.nat = None  # the NAT gateway kept (described) or created
        self.before = None  # the NAT gateway this subnet had, for the diff
        self.failed = []  # failed NAT gateways of ours to delete (replaced)
        self.replaced = None  # the newest of them: reported
        self.predecessor = ""  # id of the newest dead NAT gateway of ours: part of the ClientToken
        self.dead_ids = set()  # every failed/deleting/deleted NAT of the subnet: a token that returns one is stale
        self.allocation_id = None
        self.public_ip = None
        self.allocation_source = None  # given | reused | allocated | existing
        self.nat_tags = None  # TagChanges of our kept NAT gateway
        self.eip = None  # the described address: given, reused, or ours on the kept NAT gateway
        self.eip_tags = None  # TagChanges of our address

    @property
    def creates(self):
        return self.action in ("created", "replaced")

    def after(self, check_mode):
        if self.creates and check_mode:
            return {"nat_gateway_id": None, "state": None, "allocation_id": self.allocation_id}
        return _summary(self.nat)

    def result(self, check_mode):
        after = self.after(check_mode) or {}
        address = primary_address(self.nat)
        replaced = self.replaced or {}
        return {
            "subnet_id": self.subnet_id,
            "availability_zone": self.az,
            "nat_gateway_id": after.get("nat_gateway_id"),
            "state": after.get("state"),
            "allocation_id": address.get("AllocationId") or self.allocation_id,
            "public_ip": address.get("PublicIp") or self.public_ip,
            "allocation_source": self.allocation_source,
            "action": self.action,
            "replaced_nat_gateway_id": replaced.get("NatGatewayId"),
            "failure_code": replaced.get("FailureCode"),
            "failure_message": replaced.get("FailureMessage"),
        }


# -- the run -----------------------------------------------------------------------------------------------------


class NatGatewayManager:
    """The NAT gateways of network ``network`` in ``subnet_ids`` (public subnets of one VPC; for ``absent()``, none
    means every subnet). ``allocation_ids``: the user's addresses, one per subnet in the same order, never released.
    The lists are those :func:`validate_options` returns."""

    def __init__(
        self,
        client,
        *,
        network,
        subnet_ids=(),
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
        self.user_tags = user_tags
        self.purge_tags = purges(user_tags, purge_tags)
        self.wait = wait
        self.wait_timeout = wait_timeout
        self.subnet_ids = list(subnet_ids)
        self.allocation_ids = list(allocation_ids)
        self._plans = []  # present()'s, one per subnet

    def is_ours(self, nat):
        return is_ours(nat, self.network, COMPONENT)

    # -- present -------------------------------------------------------------------------------------------------

    def present(self):
        subnets = describe.describe_subnets(self.client, self.subnet_ids)
        vpc_id = single_vpc(subnets)
        # The VPC filter changes nothing AWS answers (the subnets are in that VPC) and lets a converge's read cache
        # answer from its reading of the VPC.
        nats = describe.nat_gateways_where(
            self.client, [{"Name": "subnet-id", "Values": self.subnet_ids}, *describe.vpc_filter(vpc_id)]
        )
        our_eips = elastic_ip.our_addresses(self.client, self.network, self.subnet_ids)
        if held_by_unlisted_nat(nats, our_eips) and not self.check_mode:
            # A NAT gateway holds an address of ours but AWS does not list it yet: one an earlier run created a
            # moment ago. Wait until it is listed, rather than allocate another address and make a second gateway.
            nats = look_for(self.client, lambda: self._listing_every_holder(vpc_id, our_eips)) or nats
        draining = self._deleting_with_our_addresses(nats, our_eips)
        if draining and not self.check_mode:
            # Their addresses come free once they are deleted: wait, then reuse them instead of allocating new
            # ones that would leave the old addresses leaked.
            wait_deleted(self.client, draining, self.wait_timeout, f"NAT gateways of {self.network}")
            our_eips = elastic_ip.our_addresses(self.client, self.network, self.subnet_ids)
        given = elastic_ip.given_addresses(self.client, self.allocation_ids)
        given_by_subnet = {}
        if self.allocation_ids:  # validate_options made it as long as subnet_ids
            given_by_subnet = {subnet_id: self.allocation_ids[i] for i, subnet_id in enumerate(self.subnet_ids)}
        reuse_pool = self._free_eips_by_subnet(our_eips, set(self.allocation_ids))
        eips_by_allocation = {eip["AllocationId"]: eip for eip in our_eips}

        plans = []
        for subnet in subnets:
            in_subnet = [nat for nat in nats if nat.get("SubnetId") == subnet["SubnetId"] and is_public(nat)]
            plans.append(
                self._plan(
                    subnet,
                    in_subnet,
                    given.get(given_by_subnet.get(subnet["SubnetId"])),
                    reuse_pool.get(subnet["SubnetId"], []),
                    eips_by_allocation,
                )
            )
        creating = [plan for plan in plans if plan.creates]
        self._refuse_busy_addresses(creating)
        if creating:
            self._refuse_non_public(vpc_id, creating)
        stale_routes = self._routes_to_dead(vpc_id, nats, plans)

        self._plans = plans
        if not self.check_mode:
            self._apply(creating, [plan for plan in plans if plan.action == "updated"], set(eips_by_allocation))
            if self.wait:
                self.wait_for_pending()

        return Outcome(
            changed=any(plan.action in CHANGING_ACTIONS for plan in plans),
            actions=[f"{plan.action} NAT gateway in {plan.az}" for plan in plans if plan.action in CHANGING_ACTIONS],
            diff={
                "before": {plan.subnet_id: _summary(plan.before) for plan in plans},
                "after": {plan.subnet_id: plan.after(self.check_mode) for plan in plans},
            },
            data={
                "nat_gateways": [plan.result(self.check_mode) for plan in plans],
                "routes_to_replaced": [
                    {
                        "route_table_id": table["RouteTableId"],
                        "destination": routing.route_destination(route),
                        "replaced_nat_gateway_id": route["NatGatewayId"],
                        "nat_gateway_id": (plan.after(self.check_mode) or {}).get("nat_gateway_id"),
                        "subnet_id": plan.subnet_id,
                        "ours": is_ours(table, self.network),
                    }
                    for plan, table, route in stale_routes
                ],
            },
        )

    def _routes_to_dead(self, vpc_id, nats, plans):
        """``(plan, table, route)`` for each route of the VPC that still targets a dead NAT gateway of ours in a
        subnet of ``plans``: the route tables' job (this module does not route), so they are reported. Reads the
        route tables only when there is such a NAT gateway."""
        plans_by_subnet = {plan.subnet_id: plan for plan in plans}
        dead = {
            nat["NatGatewayId"]: plans_by_subnet[nat["SubnetId"]]
            for nat in nats
            if nat.get("State") in DEAD_STATES and nat.get("SubnetId") in plans_by_subnet and self.is_ours(nat)
        }
        if not dead:
            return []
        tables = describe.vpc_route_tables(self.client, vpc_id)
        return [(dead[route["NatGatewayId"]], table, route) for table, route in routes_to(tables, dead)]

    def _listing_every_holder(self, vpc_id, our_eips):
        nats = describe.nat_gateways_where(
            self.client, [{"Name": "subnet-id", "Values": self.subnet_ids}, *describe.vpc_filter(vpc_id)]
        )
        return None if held_by_unlisted_nat(nats, our_eips) else nats

    def _deleting_with_our_addresses(self, nats, our_eips):
        """Our NAT gateways being deleted, in subnets left without a usable one, that hold one of our addresses."""
        served = {nat.get("SubnetId") for nat in nats if nat.get("State") in USABLE_STATES}
        our_ids = {eip["AllocationId"] for eip in our_eips}
        return [
            nat
            for nat in nats
            if nat.get("State") == "deleting"
            and nat.get("SubnetId") not in served
            and self.is_ours(nat)
            and any(address.get("AllocationId") in our_ids for address in nat.get("NatGatewayAddresses", []))
        ]

    def _free_eips_by_subnet(self, our_eips, given_ids):
        """Our unassociated addresses per subnet tag (oldest id first), minus any the user gave for a subnet."""
        pool = {}
        for eip in sorted(our_eips, key=lambda address: address["AllocationId"]):
            if eip["AllocationId"] in given_ids or elastic_ip.association(eip):
                continue
            subnet_id = tags_of(eip).get(elastic_ip.SUBNET_TAG)
            if subnet_id:
                pool.setdefault(subnet_id, []).append(eip)
        return pool

    def _plan(self, subnet, in_subnet, given_eip, free_eips, eips_by_allocation):
        plan = SubnetPlan(subnet)
        usable = [nat for nat in in_subnet if nat.get("State") in USABLE_STATES]
        if usable:
            # Ours first, then available before pending, then the oldest: the same NAT is chosen every run.
            usable.sort(key=lambda nat: (not self.is_ours(nat), nat.get("State") != "available", age_key(nat)))
            plan.nat = plan.before = usable[0]
            if len(usable) > 1:
                others = ", ".join(nat["NatGatewayId"] for nat in usable[1:])
                self.warn(
                    f"subnet {plan.subnet_id} has several NAT gateways; using {plan.nat['NatGatewayId']}, not {others}"
                )
            self._keep(plan, given_eip, eips_by_allocation)
            return plan

        ours_dead = [nat for nat in in_subnet if self.is_ours(nat) and nat.get("State") in DEAD_STATES]
        plan.failed = sorted((nat for nat in ours_dead if nat.get("State") == "failed"), key=age_key)
        plan.replaced = plan.failed[-1] if plan.failed else None
        plan.before = plan.replaced
        plan.predecessor = max(ours_dead, key=age_key)["NatGatewayId"] if ours_dead else ""
        plan.dead_ids = {nat["NatGatewayId"] for nat in in_subnet if nat.get("State") in DEAD_STATES}
        plan.action = "replaced" if plan.replaced else "created"
        if given_eip:
            plan.allocation_source = "given"
            plan.eip = given_eip
        elif free_eips:
            plan.allocation_source = "reused"
            plan.eip = free_eips[0]
            if len(free_eips) > 1:
                spare = ", ".join(eip["AllocationId"] for eip in free_eips[1:])
                self.warn(f"unused Elastic IPs of this network for subnet {plan.subnet_id}: {spare}")
        else:
            plan.allocation_source = "allocated"
        if plan.eip:
            plan.allocation_id = plan.eip["AllocationId"]
            plan.public_ip = plan.eip.get("PublicIp")
        if plan.allocation_source == "reused":
            plan.eip_tags = self._tag_changes(plan.eip, eip_tags(self.network, self.user_tags, subnet))
        return plan

    def _keep(self, plan, given_eip, eips_by_allocation):
        """Use the subnet's NAT gateway; bring our own one's tags (and its address's) up to date."""
        nat = plan.nat
        address = primary_address(nat)
        plan.allocation_id = address.get("AllocationId")
        plan.public_ip = address.get("PublicIp")
        plan.allocation_source = "existing"
        if given_eip and given_eip["AllocationId"] != plan.allocation_id:
            self.warn(
                f"allocation_ids: subnet {plan.subnet_id} keeps NAT gateway {nat['NatGatewayId']} with address "
                f"{plan.allocation_id}; {given_eip['AllocationId']} is not used (a NAT gateway's address cannot "
                "change: delete the NAT gateway to use another one)"
            )
        if not self.is_ours(nat):
            plan.action = "adopted"
            return
        plan.nat_tags = self._tag_changes(nat, nat_tags(self.network, self.user_tags, plan.subnet))
        eip = eips_by_allocation.get(plan.allocation_id)
        if eip is not None:
            plan.eip = eip
            plan.eip_tags = self._tag_changes(eip, eip_tags(self.network, self.user_tags, plan.subnet))
        if plan.nat_tags or plan.eip_tags:
            plan.action = "updated"

    def _tag_changes(self, resource, desired):
        return tag_changes(tags_of(resource), desired, self.purge_tags)

    def _refuse_non_public(self, vpc_id, creating):
        """AWS fails a public NAT gateway outside a public subnet (Gateway.NotAttached): refuse it up front."""
        route_tables = describe.vpc_route_tables(self.client, vpc_id)
        igws_by_id = {igw["InternetGatewayId"]: igw for igw in describe.vpc_internet_gateways(self.client, vpc_id)}
        reasons = {}
        for plan in creating:
            reason = not_public_reason(plan.subnet_id, vpc_id, route_tables, igws_by_id)
            if reason:
                reasons[plan.subnet_id] = reason
        if reasons:
            raise InvalidInput(
                "subnet_ids",
                "a public NAT gateway needs a subnet whose default route (0.0.0.0/0) goes to an internet gateway "
                f"attached to {vpc_id}, or AWS fails it with Gateway.NotAttached: {'; '.join(reasons.values())}. "
                "Give each of these subnets a 0.0.0.0/0 route to an internet gateway attached to the VPC "
                "(cloudreactor.aws.internet_gateway, cloudreactor.aws.route_table), or give public subnets",
                not_public_subnets=list(reasons),
            )

    def _refuse_busy_addresses(self, creating):
        for plan in creating:
            if plan.allocation_source != "given":
                continue
            if plan.eip.get("Domain", "vpc") != "vpc":
                raise InvalidInput("allocation_ids", f"{plan.allocation_id} is not a VPC address (Domain vpc)")
            used_by = elastic_ip.association(plan.eip)
            if used_by:
                raise InvalidInput(
                    "allocation_ids",
                    f"{plan.allocation_id} (for subnet {plan.subnet_id}) is already associated with {used_by}",
                )

    def _apply(self, creating, updating, seen_allocation_ids):
        for plan in creating:
            for nat in plan.failed:
                delete_nat_gateway(self.client, nat["NatGatewayId"])
        for plan in creating:
            if plan.allocation_source == "allocated":
                tags = eip_tags(self.network, self.user_tags, plan.subnet)
                address = elastic_ip.allocate(self.client, tags, seen_allocation_ids)
                # Not recorded as a resource: AWS associates it with the NAT gateway, and only AWS's answer says so.
                self.client.record_created_id(address["AllocationId"])
                plan.allocation_id = address["AllocationId"]
                plan.public_ip = address.get("PublicIp")
        for plan in creating:
            plan.nat = self._create(plan)
        for plan in creating + updating:
            if plan.nat_tags:
                apply_tag_changes(self.client, plan.nat["NatGatewayId"], plan.nat_tags)
            if plan.eip_tags:
                apply_tag_changes(self.client, plan.eip["AllocationId"], plan.eip_tags)

    def _create(self, plan):
        """Create the subnet's NAT gateway; a retried or re-run create with the same inputs returns the same NAT.

        AWS remembers a ClientToken longer than it shows deleted NAT gateways: should the token return a NAT
        gateway that is dead, that one becomes the predecessor and the (again deterministic) next token is used.
        """
        predecessor = plan.predecessor
        for _attempt in range(MAX_STALE_TOKENS):
            token = client_token(self.network, plan.subnet_id, plan.allocation_id, predecessor)
            nat = self.client.create_nat_gateway(
                SubnetId=plan.subnet_id,
                AllocationId=plan.allocation_id,
                ClientToken=token,
                TagSpecifications=tag_specifications(
                    RESOURCE_TYPE, nat_tags(self.network, self.user_tags, plan.subnet)
                ),
                aws_retry=True,
            )["NatGateway"]
            if nat["NatGatewayId"] not in plan.dead_ids and nat.get("State") not in ("deleting", "deleted"):
                self.client.record("describe_nat_gateways", nat, created=True)
                return nat
            predecessor = nat["NatGatewayId"]
        raise ResourceFailed(
            f"CreateNatGateway in subnet {plan.subnet_id} keeps returning NAT gateways that are gone "
            f"(last: {predecessor}); try again with another address in allocation_ids",
            subnet_id=plan.subnet_id,
            changed=True,
        )

    def wait_for_pending(self):
        """Wait until the NAT gateways ``present()`` left pending are available (with ``wait=False``, a caller does
        other work first: the private routes can point at a pending NAT gateway)."""
        waiting = [plan for plan in self._plans if plan.nat and plan.nat.get("State") == "pending"]
        if waiting:
            self._wait_available(waiting)

    def _wait_available(self, plans):
        """Poll every pending NAT gateway with one describe per round; stop at the first that fails."""
        by_id = {plan.nat["NatGatewayId"]: plan for plan in plans}
        client = uncached(self.client)

        def check():
            found = describe.nat_gateways_by_id(client, list(by_id))
            not_ready = []
            for nat_id, plan in by_id.items():
                nat = found.get(nat_id)
                if nat is None:
                    not_ready.append(f"{nat_id} in {plan.subnet_id} (not visible yet)")
                    continue
                plan.nat = nat
                refuse_dead(nat, plan.subnet_id, changed=any(other.creates for other in plans))
                state = nat.get("State")
                if state != "available":
                    not_ready.append(f"{nat_id} in {plan.subnet_id} ({state})")
            return not not_ready, ", ".join(not_ready)

        poll_until(check, self.wait_timeout, f"NAT gateways of {self.network} to become available")
        for plan in plans:
            self.client.record("describe_nat_gateways", plan.nat)

    # -- absent --------------------------------------------------------------------------------------------------

    def absent(self):
        filters = identity_filters(self.network, COMPONENT)
        if self.subnet_ids:
            filters.append({"Name": "subnet-id", "Values": self.subnet_ids})
        # Our regional NAT gateway (same component, no subnet) is regional_nat_gateway.py's.
        listed = [nat for nat in describe.nat_gateways_where(self.client, filters) if not routing.is_regional_nat(nat)]
        note_releases(self.client, listed)
        nats = [nat for nat in listed if nat.get("State") != "deleted"]
        if self.subnet_ids:
            order = {subnet_id: index for index, subnet_id in enumerate(self.subnet_ids)}
            nats.sort(key=age_key, reverse=True)
            nats.sort(key=lambda nat: order.get(nat.get("SubnetId"), len(order)))
        else:
            nats.sort(key=age_key, reverse=True)
            nats.sort(key=lambda nat: nat.get("SubnetId") or "")
        eips = elastic_ip.our_addresses(self.client, self.network, self.subnet_ids)

        to_delete = [nat for nat in nats if nat.get("State") in DELETABLE_STATES]
        nat_enis = {
            address.get("NetworkInterfaceId")
            for nat in nats
            for address in nat.get("NatGatewayAddresses") or []
            if address.get("NetworkInterfaceId")
        }
        releasable = []
        for eip in sorted(eips, key=lambda address: address["AllocationId"]):
            if eip["AllocationId"] in self.allocation_ids:
                continue
            used_by = elastic_ip.association(eip)
            if used_by and eip.get("NetworkInterfaceId") not in nat_enis:
                self.warn(f"Elastic IP {eip['AllocationId']} of this network is in use by {used_by}: kept")
                continue
            releasable.append(eip)

        deleted_ids = {nat["NatGatewayId"] for nat in to_delete}
        before = {}
        for nat in nats:  # newest first per subnet in the diff: what the subnet is served by
            before.setdefault(nat.get("SubnetId"), _summary(nat))
        if self.check_mode:
            released = [eip["AllocationId"] for eip in releasable]
        else:
            for nat in to_delete:
                delete_nat_gateway(self.client, nat["NatGatewayId"])
                nat["State"] = "deleting"
            if nats and self.wait:
                states = wait_deleted(self.client, nats, self.wait_timeout, f"NAT gateways of {self.network}")
                for nat in nats:
                    nat["State"] = states.get(nat["NatGatewayId"], "deleted")
            released = self._release(releasable, set() if self.wait else nat_enis)

        entries = [
            {
                "subnet_id": nat.get("SubnetId"),
                "availability_zone": tags_of(nat).get(TAG_PREFIX + "az"),
                "nat_gateway_id": nat["NatGatewayId"],
                "state": nat.get("State"),
                "allocation_id": primary_address(nat).get("AllocationId"),
                "public_ip": primary_address(nat).get("PublicIp"),
                "allocation_source": None,
                "action": "deleted" if nat["NatGatewayId"] in deleted_ids else "none",
                "replaced_nat_gateway_id": None,
                "failure_code": nat.get("FailureCode"),
                "failure_message": nat.get("FailureMessage"),
            }
            for nat in nats
        ]
        return Outcome(
            changed=bool(to_delete or released),
            actions=[f"deleted NAT gateway {nat['NatGatewayId']}" for nat in to_delete]
            + [f"released Elastic IP {allocation_id}" for allocation_id in released],
            diff={"before": before, "after": dict.fromkeys(before)},
            data={"nat_gateways": entries, "released_allocation_ids": released},
        )

    def _release(self, releasable, busy_enis):
        """Release our addresses; one still held by a NAT gateway that is being deleted is kept (with a warning)."""
        released = []
        for eip in releasable:
            if eip.get("NetworkInterfaceId") and eip["NetworkInterfaceId"] in busy_enis:
                self.warn(
                    f"Elastic IP {eip['AllocationId']} is still held by a NAT gateway being deleted; run again with "
                    "wait: true to release it"
                )
                continue
            try:
                elastic_ip.release(self.client, eip["AllocationId"])
            except is_boto3_error_code("InvalidAllocationID.NotFound"):
                continue
            self.client.releasing(f"Elastic IP {eip['AllocationId']}")
            released.append(eip["AllocationId"])
        return released


def run(client, module):
    """The module's work: ensure (or remove) the NAT gateways; returns the result for ``exit_json``."""
    params = module.params
    subnet_ids, allocation_ids = validate_options(params)
    manager = NatGatewayManager(
        client,
        network=params["network_name"],
        subnet_ids=subnet_ids,
        allocation_ids=allocation_ids,
        wait=params["wait"],
        wait_timeout=params["wait_timeout"],
        user_tags=params["tags"],
        purge_tags=params["purge_tags"],
        check_mode=module.check_mode,
        warn=module.warn,
    )
    outcome = manager.present() if params["state"] == "present" else manager.absent()
    return outcome.result()
