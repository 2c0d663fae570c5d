"""docs/iam-policy.json allows exactly the EC2 actions the role and the check use: none missing, none spare.

One recording covers the role's whole life on the emulator: build, repair after faults, retag and open then close
an inbound rule, turn dual-stack on, switch to a single NAT gateway with IPv6-only task subnets, grow by a zone, go
back to IPv4, audit the VPC, tear down (taking over the network's claim from a run that crashed). Only calls made by
Ansible modules count (a test's own boto3 client is not the role).
"""

import json
from pathlib import Path

from support import network_faults
from support.claims import crashed_claim
from support.playbook_runner import changed_count, run_playbook

POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"
NETWORK = "iam"


def policy_actions():
    statements = json.loads(POLICY.read_text())["Statement"]
    actions = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions.update(statement["Action"])
    return actions


def duplicate_vpc(ec2):
    """A VPC tagged as the network's, with a higher id than the network's own: free, it is the one a run removes
    (with none in use, the network keeps the lowest id), and the network's own goes on through the steps below."""
    (own,) = ec2.describe_vpcs(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])["Vpcs"]
    tags = [{"Key": "cloudreactor:network", "Value": NETWORK}, {"Key": "cloudreactor:component", "Value": "vpc"}]
    while True:
        vpc_id = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])[
            "Vpc"
        ]["VpcId"]
        if vpc_id > own["VpcId"]:
            return vpc_id
        ec2.delete_vpc(VpcId=vpc_id)  # moto's ids are random: half of them are lower


def run(aws, playbook, **extra_vars):
    return run_playbook(aws.endpoint_url, playbook, {"fargate_network_name": NETWORK, **extra_vars})


def test_policy_allows_exactly_the_actions_the_role_and_check_use(aws):
    ec2 = aws.boto3_client("ec2")
    with aws.recording() as rec:
        changed_count(run(aws, "setup_network.yml"))
        for fault in ("nat_failed", "private_subnet_on_public_table", "task_sg_egress_revoked", "igw_deleted"):
            network_faults.FAULTS[fault](ec2, NETWORK, "us-east-1b")
        # The repair also adds a tag and an ingress rule; the next run purges the tag and switches NAT mode.
        ingress = [{"proto": "tcp", "ports": [8080], "cidr_ip": "10.0.0.0/16"}]
        repair = {
            "fargate_network_tags": {"team": "data"},
            "fargate_network_security_group_ingress": ingress,
            "fargate_network_ip_mode": "dual_stack",
        }
        changed_count(run(aws, "setup_network.yml", **repair))
        switch = {"fargate_network_nat_gateways": "single", "fargate_network_az_count": 3}
        changed_count(
            run(
                aws,
                "setup_network.yml",
                fargate_network_tags={},
                fargate_network_purge_tags=True,
                fargate_network_ip_mode="ipv6_only",
                **switch,
            )
        )
        # A duplicate VPC a race left (docs/reliability.md, section 7): the next run finds it free and removes it.
        duplicate_vpc(ec2)
        changed_count(run(aws, "setup_network.yml", fargate_network_ip_mode="ipv4", **switch))
        # A crashed run's claim on the network: the teardown reads it, breaks it once its lease is over, takes its own.
        crashed_claim(ec2, NETWORK)
        check = run_playbook(
            aws.endpoint_url, "check_network.yml", {"fargate_network_name": NETWORK, "check_network_report_path": ""}
        )
        assert check.returncode == 0, check.stdout[-2000:]
        changed_count(run(aws, "teardown_network.yml"))

    used = {f"ec2:{action}" for action in rec.ansible_actions}
    allowed = policy_actions()
    assert sorted(used - allowed) == [], "used but not allowed"
    assert sorted(allowed - used) == [], "allowed but never used"
