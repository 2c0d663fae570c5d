# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which VPC endpoints a task needs without internet access, and whether the VPC's endpoints provide them."""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.snapshot import Snapshot
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

#: Pulling an image from ECR: the registry API, the Docker registry, and S3 for the layers.
IMAGE_SERVICES = ("ecr.api", "ecr.dkr", "s3")
LOGS_SERVICE = "logs"
#: Services reachable through a gateway endpoint (a prefix-list route in the subnet's route table).
GATEWAY_SERVICES = ("s3", "dynamodb")

#: What ``services`` may list: AWS services a task calls beyond ECR and CloudWatch Logs.
EXTRA_SERVICES = (
    "secretsmanager",
    "ssm",
    "ssmmessages",
    "kms",
    "sts",
    "sqs",
    "sns",
    "dynamodb",
    "monitoring",
    "events",
    "xray",
    "elasticfilesystem",
)


def required_services(uses_awslogs: bool, services: Iterable[str] | None) -> list[str]:
    """The endpoint services a task needs, in a stable order without duplicates."""
    wanted = list(IMAGE_SERVICES) + ([LOGS_SERVICE] if uses_awslogs else []) + list(services or [])
    return list(dict.fromkeys(wanted))


def endpoint_type(endpoint: Resource) -> str:
    """``interface`` or ``gateway`` (some emulators leave ``VpcEndpointType`` out for gateway endpoints)."""
    declared: str = (endpoint.get("VpcEndpointType") or "").lower()
    if declared:
        return declared
    return "gateway" if endpoint.get("RouteTableIds") and not endpoint.get("SubnetIds") else "interface"


def service_of(endpoint: Resource, region: str) -> str | None:
    """The short service name (``ecr.api``, ``s3``...) of an AWS endpoint of ``region``, else ``None``."""
    name: str = endpoint.get("ServiceName") or ""
    marker = f".{region}."
    return name.split(marker, 1)[1] if marker in name else None


def is_available(endpoint: Resource) -> bool:
    return bool((endpoint.get("State") or "").lower() == "available")


class EndpointIndex:
    """The VPC endpoints of a snapshot, by VPC and service."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.region = snapshot.region
        self.dns = snapshot.dns
        self._by_vpc_service: dict[tuple[str | None, str], list[Resource]] = {}
        for endpoint in snapshot.endpoints:
            service = service_of(endpoint, snapshot.region)
            if service:
                self._by_vpc_service.setdefault((endpoint.get("VpcId"), service), []).append(endpoint)

    def of(self, vpc_id: str | None, service: str) -> list[Resource]:
        return self._by_vpc_service.get((vpc_id, service), [])

    def gateway_endpoints_on(self, vpc_id: str | None, route_table_id: str | None) -> list[tuple[str, str]]:
        """``[(service, endpoint id)]`` of the available gateway endpoints (S3, DynamoDB) on ``route_table_id``:
        traffic to those services leaves through them, never through the NAT gateway (no data processing charge)."""
        return sorted(
            (service, endpoint["VpcEndpointId"])
            for (endpoint_vpc, service), endpoints in self._by_vpc_service.items()
            if endpoint_vpc == vpc_id and service in GATEWAY_SERVICES
            for endpoint in endpoints
            if endpoint_type(endpoint) == "gateway"
            and is_available(endpoint)
            and route_table_id in endpoint.get("RouteTableIds", [])
        )

    def interface_problem(self, endpoint: Resource) -> str | None:
        """Why an interface endpoint does not answer for its service's usual name, or ``None``."""
        if not is_available(endpoint):
            return f"{endpoint['VpcEndpointId']} is {endpoint.get('State', 'not available')}"
        if not endpoint.get("PrivateDnsEnabled"):
            return f"{endpoint['VpcEndpointId']} has private DNS off"
        dns = self.dns.get(endpoint.get("VpcId"), {})
        if not (dns.get("support") and dns.get("hostnames")):
            return (
                f"{endpoint['VpcEndpointId']} needs the VPC's enableDnsSupport and enableDnsHostnames for private DNS"
            )
        return None

    def dns_intercepting(self, vpc_id: str | None, service: str) -> list[Resource]:
        """Interface endpoints whose private DNS answers for ``service`` in the whole VPC (used even behind a NAT)."""
        return [
            endpoint
            for endpoint in self.of(vpc_id, service)
            if endpoint_type(endpoint) == "interface" and self.interface_problem(endpoint) is None
        ]

    def resolve(
        self, vpc_id: str | None, service: str, route_table_id: str | None
    ) -> tuple[Resource | None, str | None]:
        """``(endpoint, problem)`` for ``service`` as seen from a subnet routed by ``route_table_id``: the endpoint
        that serves it (``problem`` None), or the closest candidate and why it does not serve."""
        candidates = self.of(vpc_id, service)
        problems: list[tuple[Resource | None, str | None]] = []
        for endpoint in candidates:
            if endpoint_type(endpoint) == "gateway":
                if service not in GATEWAY_SERVICES:
                    continue
                if not is_available(endpoint):
                    problems.append((endpoint, f"{endpoint['VpcEndpointId']} is {endpoint.get('State')}"))
                elif route_table_id not in endpoint.get("RouteTableIds", []):
                    problems.append(
                        (
                            endpoint,
                            f"gateway endpoint {endpoint['VpcEndpointId']} is not on route table {route_table_id}",
                        )
                    )
                else:
                    return endpoint, None
            else:
                problem = self.interface_problem(endpoint)
                if problem is None:
                    return endpoint, None
                problems.append((endpoint, problem))
        if problems:
            return problems[0]
        kind = "gateway" if service in GATEWAY_SERVICES else "interface"
        return None, f"no {kind} endpoint com.amazonaws.{self.region}.{service}"
