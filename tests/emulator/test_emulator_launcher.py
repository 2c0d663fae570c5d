"""Proofs for the launcher (``python -m aws_emulator``) and the test-side handle (``aws_emulator.client.Emulator``)."""

import base64
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import boto3
import pytest

from aws_emulator.client import Emulator, EmulatorError, Recording
from aws_emulator.server import LISTENING_PREFIX, parse_nat_transition

TESTS_DIR = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 30


def _spawn_cli(*args):
    env = dict(os.environ, PYTHONPATH=str(TESTS_DIR))
    return subprocess.Popen(
        [sys.executable, "-m", "aws_emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


def _first_line(process):
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=STARTUP_TIMEOUT)
    except queue.Empty:
        process.kill()
        pytest.fail(f"no listening line within {STARTUP_TIMEOUT}s; stderr: {process.communicate()[1]}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_files_transition_and_clean_stop(tmp_path, stop_signal):
    port_file, pid_file = tmp_path / "port", tmp_path / "pid"
    process = _spawn_cli(
        "--port", "0", "--port-file", str(port_file), "--pid-file", str(pid_file), "--nat-transition", "describes:2"
    )
    try:
        line = _first_line(process)
        assert line.startswith(f"{LISTENING_PREFIX}http://127.0.0.1:")
        endpoint_url = line[len(LISTENING_PREFIX) :].strip()
        port = int(endpoint_url.rsplit(":", 1)[1])
        assert port > 0
        assert port_file.read_text().strip() == str(port)
        assert pid_file.read_text().strip() == str(process.pid)

        # --nat-transition describes:2 is the server's default transition
        ec2 = boto3.client(
            "ec2",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
        states = [ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] for _ in range(2)]
        assert states == ["pending", "available"]

        process.send_signal(stop_signal)
        remaining_stdout, stderr = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert remaining_stdout == ""  # exactly one line on stdout
    assert not pid_file.exists()


def test_cli_rejects_unknown_transition():
    process = _spawn_cli("--nat-transition", "sometimes")
    _, stderr = process.communicate(timeout=STARTUP_TIMEOUT)
    assert process.returncode == 2
    assert "unknown NAT transition" in stderr


@pytest.mark.parametrize(
    ("text", "transition"),
    [
        ("immediate", {"progression": "immediate"}),
        ("describes:3", {"progression": "manual", "times": 3}),
        ("seconds:2", {"progression": "time", "seconds": 2}),
        ("seconds:0.5", {"progression": "time", "seconds": 0.5}),
    ],
)
def test_parse_nat_transition(text, transition):
    assert parse_nat_transition(text) == transition


def test_emulator_start_and_stop():
    with Emulator.start(nat_transition="describes:2") as emu:
        assert emu.running
        ec2 = emu.boto3_client()
        assert ec2.describe_vpcs()["Vpcs"]
    assert not emu.running
    assert emu.returncode == 0
    emu.stop()  # idempotent


def test_emulator_start_reports_a_server_that_dies_early(monkeypatch):
    monkeypatch.setenv("AWS_EMULATOR_SKIP_PATCHES", "no_such_patch")
    with pytest.raises(EmulatorError, match="exited with code 1 before listening") as excinfo:
        Emulator.start()
    assert "no_such_patch" in str(excinfo.value)  # the server's log is part of the message


def test_reset_clears_state_and_restores_default_transition(aws):
    ec2 = aws.boto3_client()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws.set_nat_transition("manual", times=5)

    aws.reset()

    assert vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "available"


def test_set_nat_transition_validates_arguments(aws):
    with pytest.raises(ValueError, match="times"):
        aws.set_nat_transition("manual")
    with pytest.raises(ValueError, match="seconds"):
        aws.set_nat_transition("time")
    with pytest.raises(ValueError, match="unknown progression"):
        aws.set_nat_transition("sometimes")


def test_module_params(aws):
    assert aws.module_params() == {
        "endpoint_url": aws.endpoint_url,
        "region": "us-east-1",
        "access_key": "testing",
        "secret_key": "testing",
    }


def test_recording_counts_ec2_actions_in_order(aws):
    ec2 = aws.boto3_client()
    ec2.describe_vpcs()  # before the block: not recorded
    with aws.recording() as rec:
        ec2.describe_vpcs()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        ec2.describe_vpcs(VpcIds=[vpc])
        aws.boto3_client("sts").get_caller_identity()  # another service: not an EC2 action
    ec2.describe_subnets()  # after the block: not recorded

    assert rec.actions == ["DescribeVpcs", "CreateVpc", "DescribeVpcs"]
    assert rec.reads == ["DescribeVpcs", "DescribeVpcs"]
    assert rec.mutations == ["CreateVpc"]
    assert rec.count("DescribeVpcs") == 2
    assert rec.count("DeleteVpc") == 0


def test_recording_parses_plain_and_base64_bodies():
    ec2_headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, x=y"}
    entries = [
        {"headers": ec2_headers, "method": "POST", "url": "/", "body": "Action=DescribeVpcs&Version=2016-11-15"},
        {
            "headers": ec2_headers,
            "method": "POST",
            "url": "/",
            "body": base64.b64encode(b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16").decode(),
            "body_encoded": True,
        },
        {"headers": ec2_headers, "method": "GET", "url": "/?Action=DescribeSubnets&Version=2016-11-15", "body": ""},
        {"headers": {}, "method": "POST", "url": "/moto-api/reset", "body": ""},
    ]
    rec = Recording()
    rec._load("\n".join(json.dumps(entry) for entry in entries))
    assert rec.actions == ["DescribeVpcs", "CreateVpc", "DescribeSubnets"]
    assert rec.mutations == ["CreateVpc"]
