"""The AWS side of Molecule's aws_lifecycle scenario, on the emulator or on a real account: what is left of a run's
network (the final sweep), what the run cost, and the VPC that is not ours, which the teardown must leave alone.

Everything is found by tags: the role's identity tag ``cloudreactor:network=<network>``, and for the foreign VPC
``cloudreactor:test-run=<network>`` (never the identity tag, so the role cannot take it for its own).

    PYTHONPATH=tests:collections python -m support.aws_run --region us-east-1 [--endpoint-url URL] [--profile P] \\
        --network crtest-... sweep | cost | foreign-vpc-create | foreign-vpc-remove
"""

import argparse
import sys
from datetime import UTC, datetime

import boto3

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.cost import (
    NAT_GATEWAY_HOURLY,
    PUBLIC_IPV4_HOURLY,
    billed_zones,
)

NETWORK_TAG = "cloudreactor:network"
TEST_RUN_TAG = "cloudreactor:test-run"
FOREIGN_VPC_CIDR = "10.99.0.0/16"
# NAT gateways and VPC endpoints stay listed for a while once deleted; those are gone, not left behind.
GONE_STATES = {"deleted", "deleting-failed-permanently"}
GONE_ENDPOINT_STATES = {"deleted", "deleting"}
EMULATOR_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def ec2_client(region, endpoint_url=None, profile=None):
    """EC2 for the run: the emulator's (with its test credentials) or AWS's, with the usual credential chain."""
    session = boto3.session.Session(profile_name=profile)
    extra = EMULATOR_CREDENTIALS if endpoint_url else {}
    return session.client("ec2", region_name=region, endpoint_url=endpoint_url, **extra)


def _tag_filter(key, value):
    return [{"Name": f"tag:{key}", "Values": [value]}]


def leftovers(ec2, network, whole_region=False):
    """``(kind, id)`` of everything still tagged as ``network``'s, of every kind the role creates. ``whole_region``
    (a region the run has to itself, on the emulator): also any VPC but the default one, Elastic IP or NAT gateway,
    tagged or not, as a leaked untagged address would be."""
    by_tag = _tag_filter(NETWORK_TAG, network)
    found = [("vpc", vpc["VpcId"]) for vpc in ec2.describe_vpcs(Filters=by_tag)["Vpcs"]]
    found += [("subnet", subnet["SubnetId"]) for subnet in ec2.describe_subnets(Filters=by_tag)["Subnets"]]
    found += [
        ("internet_gateway", igw["InternetGatewayId"])
        for igw in ec2.describe_internet_gateways(Filters=by_tag)["InternetGateways"]
    ]
    found += [
        ("route_table", table["RouteTableId"]) for table in ec2.describe_route_tables(Filters=by_tag)["RouteTables"]
    ]
    found += [
        ("nat_gateway", nat["NatGatewayId"])
        for nat in ec2.describe_nat_gateways(Filters=by_tag)["NatGateways"]
        if nat["State"] not in GONE_STATES
    ]
    found += [("elastic_ip", eip["AllocationId"]) for eip in ec2.describe_addresses(Filters=by_tag)["Addresses"]]
    found += [
        ("security_group", group["GroupId"]) for group in ec2.describe_security_groups(Filters=by_tag)["SecurityGroups"]
    ]
    found += [
        ("vpc_endpoint", endpoint["VpcEndpointId"])
        for endpoint in ec2.describe_vpc_endpoints(Filters=by_tag)["VpcEndpoints"]
        if endpoint["State"].lower() not in GONE_ENDPOINT_STATES
    ]
    found += [("key_pair", pair["KeyPairId"]) for pair in ec2.describe_key_pairs(Filters=by_tag)["KeyPairs"]]
    found += [("vpc", vpc["VpcId"]) for vpc in ec2.describe_vpcs(Filters=_tag_filter(TEST_RUN_TAG, network))["Vpcs"]]
    if whole_region:
        found += [("vpc", vpc["VpcId"]) for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc.get("IsDefault")]
        found += [("elastic_ip", eip["AllocationId"]) for eip in ec2.describe_addresses()["Addresses"]]
        found += [
            ("nat_gateway", nat["NatGatewayId"])
            for nat in ec2.describe_nat_gateways()["NatGateways"]
            if nat["State"] not in GONE_STATES
        ]
    return sorted(set(found))


def run_cost(ec2, network, now=None):
    """What ``network``'s NAT gateways cost, pro-rated to the second: NAT gateway hours (a regional NAT gateway's
    for each zone it has an address in, as ``_audit.cost.billed_zones`` counts them) and public IPv4 hours (each NAT
    gateway address, for the gateway's life: the Elastic IP is allocated just before it and released just after),
    priced as ``_audit.cost`` prices them."""
    now = now or datetime.now(UTC)
    nat_hours = ipv4_hours = 0.0
    for nat in ec2.describe_nat_gateways(Filters=_tag_filter(NETWORK_TAG, network))["NatGateways"]:
        hours = ((nat.get("DeleteTime") or now) - nat["CreateTime"]).total_seconds() / 3600
        nat_hours += hours * billed_zones(nat)
        ipv4_hours += hours * sum(1 for address in nat.get("NatGatewayAddresses") or [] if address.get("PublicIp"))
    return {
        "nat_gateway_hours": round(nat_hours, 4),
        "public_ipv4_hours": round(ipv4_hours, 4),
        "usd": round(nat_hours * NAT_GATEWAY_HOURLY + ipv4_hours * PUBLIC_IPV4_HOURLY, 4),
    }


def create_foreign_vpc(ec2, network):
    """A VPC someone else owns, beside the run's network; the teardown must leave it as it is."""
    tags = [{"Key": TEST_RUN_TAG, "Value": network}, {"Key": "Name", "Value": f"not-ours-{network}"}]
    vpc = ec2.create_vpc(CidrBlock=FOREIGN_VPC_CIDR, TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]
    return vpc["VpcId"]


def remove_foreign_vpc(ec2, network):
    """Check that the foreign VPC is still there as it was created, then delete it. Returns the problems found."""
    vpcs = ec2.describe_vpcs(Filters=_tag_filter(TEST_RUN_TAG, network))["Vpcs"]
    problems = [] if len(vpcs) == 1 else [f"expected one VPC tagged {TEST_RUN_TAG}={network}, found {len(vpcs)}"]
    for vpc in vpcs:
        tags = {tag["Key"]: tag["Value"] for tag in vpc.get("Tags", [])}
        if vpc["CidrBlock"] != FOREIGN_VPC_CIDR or tags.get("Name") != f"not-ours-{network}" or NETWORK_TAG in tags:
            problems.append(f"the foreign VPC {vpc['VpcId']} was changed: {vpc}")
        ec2.delete_vpc(VpcId=vpc["VpcId"])
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True)
    parser.add_argument("--endpoint-url", help="an emulator's; without it, AWS with the usual credentials")
    parser.add_argument("--profile")
    parser.add_argument("--network", required=True)
    parser.add_argument("--whole-region", action="store_true", help="sweep: the region is the run's alone (emulator)")
    parser.add_argument("action", choices=["sweep", "cost", "foreign-vpc-create", "foreign-vpc-remove"])
    args = parser.parse_args(argv)
    ec2 = ec2_client(args.region, args.endpoint_url or None, args.profile or None)
    if args.action == "sweep":
        found = leftovers(ec2, args.network, args.whole_region)
        for kind, resource_id in found:
            print(f"LEFT BEHIND: {kind} {resource_id} (tagged {args.network})")
        print(f"sweep of {args.network}: {len(found)} resource(s) left behind")
        return 1 if found else 0
    if args.action == "cost":
        cost = run_cost(ec2, args.network)
        print(
            f"cost of {args.network}: {cost['nat_gateway_hours']} NAT gateway hours, {cost['public_ipv4_hours']} "
            f"public IPv4 hours, about {cost['usd']} USD at us-east-1 list prices (data processed not included)"
        )
        return 0
    if args.action == "foreign-vpc-create":
        print(create_foreign_vpc(ec2, args.network))
        return 0
    problems = remove_foreign_vpc(ec2, args.network)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
