"""Proof for the nat_state_events patch: NAT gateway state changes appear in the recording, among the requests; and
the test client's reading of a recorded request's parameters (``RecordedCall.params``), which is no patch's."""

from test_emulator_nat import build_network, create_nat


def test_state_changes_are_recorded_after_the_request_that_made_them(aws, ec2):
    net = build_network(ec2)
    aws.set_nat_transition("manual", times=1)
    nat_id, _allocation = create_nat(ec2, net.public)

    with aws.recording() as rec:
        ec2.describe_nat_gateways(NatGatewayIds=[nat_id])  # the 1st describe shows it available
        ec2.delete_nat_gateway(NatGatewayId=nat_id)
        ec2.describe_nat_gateways(NatGatewayIds=[nat_id])  # ... and deleted

    assert rec.nat_states == [
        {"nat_gateway_id": nat_id, "old_state": "pending", "new_state": "available"},
        {"nat_gateway_id": nat_id, "old_state": "deleting", "new_state": "deleted"},
    ]
    order = [call.action or call.method for call in rec.calls]
    assert order == ["DescribeNatGateways", "EVENT", "DeleteNatGateway", "DescribeNatGateways", "EVENT"]
    # Not requests: call counts leave them out.
    assert rec.actions == ["DescribeNatGateways", "DeleteNatGateway", "DescribeNatGateways"]


def test_requests_carry_their_parameters(aws, ec2):
    net = build_network(ec2)
    with aws.recording() as rec:
        ec2.describe_route_tables(RouteTableIds=[net.private_rtb])
    assert rec.calls[0].params["RouteTableId.1"] == net.private_rtb
