"""Regional NAT gateways (``CreateNatGateway AvailabilityMode=regional``), which stock moto 5.2.5 does not know.

Why: AWS launched regional NAT gateways on 2025-11-20: one NAT gateway id for a whole VPC, no public subnet to host
it, one or more addresses per availability zone, and a route table of its own whose 0.0.0.0/0 goes to the VPC's
internet gateway. Stock moto ignores ``AvailabilityMode``/``VpcId``/``AvailabilityZoneAddresses`` and fails on the
missing ``SubnetId``, so nothing of the collection's regional mode could run against it.

What the emulator does (AWS references: the botocore 1.44.8 EC2 model and the Amazon VPC user guide page "Regional
NAT gateways for automatic multi-AZ expansion"):

* Validation. ``AvailabilityMode`` is ``zonal`` (default) or ``regional`` (else ``InvalidParameterValue``). Regional:
  ``VpcId`` is required (``MissingParameter``) and must exist (``InvalidVpcID.NotFound``); ``SubnetId``,
  ``ConnectivityType=private`` (regional gateways are public only), ``AllocationId``, ``SecondaryAllocationIds`` and
  ``PrivateIpAddress`` are refused (``InvalidParameterCombination``; manual mode takes its addresses through
  ``AvailabilityZoneAddresses``). Zonal: ``VpcId`` and ``AvailabilityZoneAddresses`` are refused. Each
  ``AvailabilityZoneAddresses`` entry names a zone of the region (by name or id), lists at least one allocation id
  that exists, and no zone or allocation id appears twice (``InvalidParameterValue`` /
  ``InvalidAllocationID.NotFound`` / ``MissingParameter``).
* Lifecycle: the NAT lifecycle patch's ``pending -> available`` / ``deleting -> deleted``. A VPC without an attached
  internet gateway makes the NAT ``failed`` with ``Gateway.NotAttached`` (as for a zonal NAT); a manual address
  already associated elsewhere makes it ``failed`` with ``Resource.AlreadyAssociated``.
* Automatic mode (no ``AvailabilityZoneAddresses``): ``AutoProvisionZones`` and ``AutoScalingIps`` are ``enabled``.
  The emulator gives the NAT one Amazon-allocated Elastic IP (visible in DescribeAddresses, associated) in each zone
  where the VPC has a network interface, that is where a workload is present, when DescribeNatGateways or
  DescribeAddresses is called. AWS does this asynchronously (the user guide: the gateway "expands across
  Availability Zones based on your workload presence"); the emulator does it at once and never retracts a zone. The
  EC2 API reference words AutoProvisionZones as "all AZs where your VPC has subnets"; the emulator follows the user
  guide, so a VPC with subnets but no interface in a zone shows no address there.
* Manual mode: ``AutoProvisionZones``/``AutoScalingIps`` are ``disabled``; the given allocation ids are associated,
  in the given order, with the zone they were given for (the first one of the first zone ``IsPrimary``).
* Deletion: once ``deleted`` (or ``failed``) the manual addresses are disassociated and stay allocated (they are the
  user's), the automatic ones are released (they were AWS's), and the NAT's route table is gone. ReleaseAddress of a
  manual address while its regional NAT is not ``deleted``/``failed`` is refused (``InvalidIPAddress.InUse``).
* ``RouteTableId``: a route table of the VPC created with the NAT, holding 0.0.0.0/0 to the VPC's internet gateway.
* Routes (CreateRoute/ReplaceRoute ``NatGatewayId``), ``blackhole`` after deletion, the ``vpc-id``/``state``/tag
  filters and the NotFound codes come from the existing NAT patches, as for a zonal NAT; the ``subnet-id`` filter
  never matches a regional NAT (it has no subnet).
* ``ClientToken`` is idempotent as for zonal NATs (same store): the same token with the same parameters returns the
  same NAT, with other parameters ``IdempotentParameterMismatch``.
* A zonal NAT gateway reports ``AvailabilityMode: zonal``, as AWS does since the launch.
"""

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.exceptions import (
    InvalidAllocationIdError,
    InvalidParameterCombination,
    InvalidParameterValueError,
    MissingParameterError,
)
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.utils import add_tag_specification, random_eni_id, random_nat_gateway_id, random_private_ip

from aws_emulator.client_tokens import ClientTokens

from . import nat_client_token, nat_eip_release, nat_lifecycle

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_regional_nat.py::test_regional_nat_is_created_in_a_vpc_with_its_describe_fields",
    "test_emulator_regional_nat.py::test_zonal_nat_reports_zonal_availability_mode",
    "test_emulator_regional_nat.py::test_create_is_validated_like_aws",
    "test_emulator_regional_nat.py::test_manual_addresses_are_validated",
    "test_emulator_regional_nat.py::test_vpc_without_internet_gateway_fails_gateway_not_attached",
    "test_emulator_regional_nat.py::test_its_route_table_sends_0_0_0_0_to_the_internet_gateway",
    "test_emulator_regional_nat.py::test_automatic_mode_has_an_address_in_each_zone_with_a_workload",
    "test_emulator_regional_nat.py::test_manual_mode_uses_the_given_addresses_per_zone",
    "test_emulator_regional_nat.py::test_manual_address_already_in_use_fails_the_nat",
    "test_emulator_regional_nat.py::test_deletion_keeps_manual_addresses_and_releases_automatic_ones",
    "test_emulator_regional_nat.py::test_routes_to_it_and_blackhole_after_deletion",
    "test_emulator_regional_nat.py::test_describe_filters",
    "test_emulator_regional_nat.py::test_client_token_is_idempotent",
)

REGIONAL = "regional"
ZONAL = "zonal"
_PATCHED_FLAG = "_aws_emulator_regional_patched"


class ManagedInterface:
    """The AWS-managed network interface behind one address of a regional NAT gateway.

    It lives in no subnet of the customer (so it is not in the backend's interface list), but moto's Elastic IP
    association needs an interface object to point at."""

    def __init__(self, owner_id: str) -> None:
        self.id = random_eni_id()
        self.private_ip_address = random_private_ip()
        self.owner_id = owner_id
        self.public_ip: str | None = None
        self.instance = None


class RegionalNatGateway(NatGateway):
    """A NAT gateway with ``AvailabilityMode: regional``; built without moto's zonal constructor (which needs a
    subnet), then given the same lifecycle as every NAT gateway."""

    def __init__(
        self,
        backend: Any,
        vpc_id: str,
        zone_allocations: list[tuple[Any, list[str]]],
        tags: dict[str, str],
    ) -> None:
        self.id = random_nat_gateway_id()
        self.ec2_backend = backend
        self.vpc_id = vpc_id
        self.subnet_id = None
        self.connectivity_type = "public"
        self.availability_mode = REGIONAL
        self.manual = bool(zone_allocations)
        self.auto_provision_zones = "disabled" if self.manual else "enabled"
        self.auto_scaling_ips = "disabled" if self.manual else "enabled"
        self.address_set: list[dict[str, Any]] = []
        self.route_table_id: str | None = None
        self._created_at = utcnow()
        # nat_eip_release frees ``_eni`` (a zonal NAT's one interface); a regional NAT's addresses each have their
        # own interface, freed by this module, so this one is associated with nothing.
        self._eni = ManagedInterface(backend.account_id)
        self.add_tags(tags or {})
        failure = _failure(backend, vpc_id, zone_allocations)
        self.__dict__["_aws_emulator_deleted_at"] = None
        self.__dict__["_aws_emulator_lifecycle"] = nat_lifecycle.NatGatewayLifecycle(self, failure)
        if failure is None:
            for zone, allocation_ids in zone_allocations:
                for allocation_id in allocation_ids:
                    self._add_address(zone, allocation_id)
            self.route_table_id = _create_route_table(backend, vpc_id)

    @property
    def zones(self) -> set[str]:
        return {address["AvailabilityZone"] for address in self.address_set}

    def _add_address(self, zone: Any, allocation_id: str) -> None:
        interface = ManagedInterface(self.ec2_backend.account_id)
        eip = self.ec2_backend.associate_address(eni=interface, allocation_id=allocation_id)
        self.address_set.append(
            {
                "AllocationId": allocation_id,
                "PublicIp": eip.public_ip,
                "AssociationId": eip.association_id,
                "NetworkInterfaceId": interface.id,
                "PrivateIp": interface.private_ip_address,
                "IsPrimary": not self.address_set,
                "Status": "succeeded",
                "AvailabilityZone": zone.name,
                "AvailabilityZoneId": zone.zone_id,
            }
        )

    def expand(self) -> None:
        """Automatic mode: one Amazon-allocated address in each zone where the VPC has a network interface."""
        if self.manual or nat_lifecycle.current_state(self) in nat_lifecycle.DEAD_STATES:
            return
        backend = self.ec2_backend
        present = {eni.subnet.availability_zone for eni in backend.enis.values() if eni.subnet.vpc_id == self.vpc_id}
        missing = sorted(present - self.zones)
        # An empty zone_names means "every zone" to moto: ask only when a zone is missing.
        for zone in backend.describe_availability_zones(zone_names=missing) if missing else []:
            self._add_address(zone, backend.allocate_address(domain="vpc").allocation_id)

    def uses_address(self, eip: Any) -> bool:
        return eip.allocation_id in {address["AllocationId"] for address in self.address_set}


def _attached_igw(backend: Any, vpc_id: str) -> InternetGateway | None:
    return next((igw for igw in backend.internet_gateways.values() if igw.vpc and igw.vpc.id == vpc_id), None)


def _failure(backend: Any, vpc_id: str, zone_allocations: list[tuple[Any, list[str]]]) -> tuple[str, str] | None:
    if _attached_igw(backend, vpc_id) is None:
        return "Gateway.NotAttached", f"Network {vpc_id} has no Internet gateway attached"
    for _zone, allocation_ids in zone_allocations:
        for allocation_id in allocation_ids:
            if backend.address_by_allocation([allocation_id])[0].association_id:
                return "Resource.AlreadyAssociated", f"Elastic IP address {allocation_id} is already associated"
    return None


def _create_route_table(backend: Any, vpc_id: str) -> str:
    route_table = backend.create_route_table(vpc_id)
    igw = _attached_igw(backend, vpc_id)
    backend.create_route(route_table.id, "0.0.0.0/0", gateway_id=igw.id)
    return route_table.id


def release_regional_resources(nat: NatGateway, old_state: str, new_state: str) -> None:
    """Transition hook: a deleted/failed regional NAT gives back its addresses and its route table."""
    if not isinstance(nat, RegionalNatGateway) or new_state not in nat_eip_release.RELEASED_STATES:
        return
    backend = nat.ec2_backend
    for address in nat.address_set:
        eips = [eip for eip in backend.addresses if eip.allocation_id == address["AllocationId"]]
        if eips and eips[0].association_id == address.get("AssociationId"):
            backend.disassociate_address(address=eips[0].public_ip)
            if not nat.manual:
                backend.release_address(allocation_id=address["AllocationId"])
        address.pop("AssociationId", None)
        address.pop("Status", None)
    if nat.route_table_id is not None:
        backend.route_tables.pop(nat.route_table_id, None)
        nat.route_table_id = None


def _resolve_zones(backend: Any, entries: list[dict[str, Any]]) -> list[tuple[Any, list[str]]]:
    zones = backend.describe_availability_zones()
    by_name = {zone.name: zone for zone in zones}
    by_id = {zone.zone_id: zone for zone in zones}
    resolved: list[tuple[Any, list[str]]] = []
    seen_allocations: set[str] = set()
    for entry in entries:
        name, zone_id = entry.get("AvailabilityZone"), entry.get("AvailabilityZoneId")
        zone = by_name.get(name) if name else by_id.get(zone_id)
        if zone is None or (name and zone_id and zone.zone_id != zone_id):
            raise InvalidParameterValueError(f"AvailabilityZone {name or zone_id}")
        if any(known is zone for known, _ in resolved):
            raise InvalidParameterValueError(f"AvailabilityZone {zone.name} (given twice)")
        allocation_ids = list(entry.get("AllocationIds") or [])
        if not allocation_ids:
            raise MissingParameterError("AvailabilityZoneAddresses.AllocationIds")
        for allocation_id in allocation_ids:
            if allocation_id in seen_allocations:
                raise InvalidParameterValueError(f"AllocationId {allocation_id} (given twice)")
            seen_allocations.add(allocation_id)
            if not backend.address_by_allocation([allocation_id]):
                raise InvalidAllocationIdError(allocation_id)
        resolved.append((zone, allocation_ids))
    return resolved


def create_regional_nat_gateway(
    self: NatGatewayBackend,
    vpc_id: str,
    zone_addresses: list[dict[str, Any]],
    tags: dict[str, str],
    client_token: str | None,
) -> NatGateway:
    self.get_vpc(vpc_id)  # type: ignore[attr-defined]  # InvalidVpcID.NotFound
    zone_allocations = _resolve_zones(self, zone_addresses)
    fingerprint = (REGIONAL, vpc_id, tuple((zone.name, tuple(ids)) for zone, ids in zone_allocations))

    def create() -> NatGateway:
        nat = RegionalNatGateway(self, vpc_id, zone_allocations, tags)
        self.nat_gateways[nat.id] = nat
        return nat

    made: NatGateway = ClientTokens(self, nat_client_token.TOKEN_KIND).create_once(
        client_token, fingerprint, create, self.nat_gateways.__getitem__
    )
    return made


def _refuse(condition: bool, message: str) -> None:
    if condition:
        raise InvalidParameterCombination(message)


def _wrap_create_response(zonal_create: Callable[[NatGateways], ActionResult]) -> Callable[[NatGateways], Any]:
    def create_nat_gateway(self: NatGateways) -> ActionResult:
        mode = self._get_param("AvailabilityMode") or ZONAL
        vpc_id = self._get_param("VpcId")
        zone_addresses = self._get_param("AvailabilityZoneAddresses", [])
        if mode not in (ZONAL, REGIONAL):
            raise InvalidParameterValueError(f"AvailabilityMode {mode}")
        if mode == ZONAL:
            _refuse(bool(vpc_id or zone_addresses), "VpcId and AvailabilityZoneAddresses are for regional NAT gateways")
            return zonal_create(self)
        _refuse(bool(self._get_param("SubnetId")), "A regional NAT gateway takes VpcId, not SubnetId")
        _refuse(self._get_param("ConnectivityType") == "private", "A regional NAT gateway is public only")
        _refuse(
            bool(
                self._get_param("AllocationId")
                or self._get_param("SecondaryAllocationIds")
                or self._get_param("PrivateIpAddress")
            ),
            "A regional NAT gateway takes its addresses through AvailabilityZoneAddresses",
        )
        if not vpc_id:
            raise MissingParameterError("VpcId")
        client_token = self._get_param("ClientToken")
        nat = self.ec2_backend.create_regional_nat_gateway(
            vpc_id,
            zone_addresses,
            add_tag_specification(self._get_param("TagSpecifications", [])),
            client_token,
        )
        result: dict[str, Any] = {"NatGateway": nat}
        if client_token:
            result["ClientToken"] = client_token
        return ActionResult(result)

    return create_nat_gateway


def _expand_all(backend: Any) -> None:
    for nat in list(backend.nat_gateways.values()):
        if isinstance(nat, RegionalNatGateway):
            nat.expand()


def _wrap_describe_nats(original: Callable[..., list[NatGateway]]) -> Callable[..., list[NatGateway]]:
    def describe_nat_gateways(self: Any, *args: Any, **kwargs: Any) -> list[NatGateway]:
        nats = original(self, *args, **kwargs)
        _expand_all(self)
        return nats

    return describe_nat_gateways


def _wrap_describe_addresses(original: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def describe_addresses(self: Any, *args: Any, **kwargs: Any) -> list[Any]:
        _expand_all(self)
        return original(self, *args, **kwargs)

    return describe_addresses


def _wrap_release(original: Callable[..., None]) -> Callable[..., None]:
    def release_address(self: Any, address: str | None = None, allocation_id: str | None = None) -> None:
        eips = self.address_by_ip([address]) if address else self.address_by_allocation([allocation_id])
        for nat in self.nat_gateways.values():
            live = nat_lifecycle.current_state(nat) not in nat_eip_release.RELEASED_STATES
            if isinstance(nat, RegionalNatGateway) and live and eips[0].association_id and nat.uses_address(eips[0]):
                raise nat_eip_release.AddressInUseError(eips[0].allocation_id, nat.id)
        return original(self, address=address, allocation_id=allocation_id)

    return release_address


def apply() -> None:
    if release_regional_resources not in nat_lifecycle.TRANSITION_HOOKS:
        nat_lifecycle.TRANSITION_HOOKS.append(release_regional_resources)
    if getattr(NatGatewayBackend, _PATCHED_FLAG, False):
        return
    NatGateway.availability_mode = ZONAL  # type: ignore[attr-defined]
    NatGatewayBackend.create_regional_nat_gateway = create_regional_nat_gateway  # type: ignore[attr-defined]
    NatGatewayBackend.describe_nat_gateways = _wrap_describe_nats(NatGatewayBackend.describe_nat_gateways)  # type: ignore[method-assign]
    NatGateways.create_nat_gateway = _wrap_create_response(NatGateways.create_nat_gateway)  # type: ignore[method-assign]
    ElasticAddressBackend.release_address = _wrap_release(ElasticAddressBackend.release_address)  # type: ignore[method-assign]
    ElasticAddressBackend.describe_addresses = _wrap_describe_addresses(  # type: ignore[method-assign]
        ElasticAddressBackend.describe_addresses
    )
    setattr(NatGatewayBackend, _PATCHED_FLAG, True)
