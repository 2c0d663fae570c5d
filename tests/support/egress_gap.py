"""Did the private subnets of a network keep their egress? A proof from the emulator's recording.

``before = egress_snapshot(ec2, network)``, taken before the recording starts, notes each private route table of the
network (tag ``cloudreactor:table`` ``private-<zone>``), where its 0.0.0.0/0 route goes, and the state of the NAT
gateways those routes use. ``egress_gaps(before, rec)`` replays the recording over it, in order: the requests with
their parameters and the NAT gateway state changes the emulator writes among them
(aws_emulator/patches/nat_state_events.py). A table has egress while its default route goes to a NAT gateway that is
``available``; from the moment it has egress (at the start, or once its new NAT gateway became available), each of
these is a gap:

* a DeleteRoute of the table's 0.0.0.0/0 (a move is one ReplaceRoute, never a delete then a create);
* a CreateRoute or ReplaceRoute of its 0.0.0.0/0 to a NAT gateway that is not available at that moment;
* the NAT gateway it uses leaving ``available``; the table deleted or a subnet's association with it removed.

And, with or without egress, a DeleteNatGateway of a NAT gateway that still works (pending or available) while a
private table's default route points at it. (A failed one carries no traffic: deleting it first, to replace it, takes
nothing away.) Tables created inside the recording are not followed: they had no egress to lose.

``assert_no_egress_gap(before, rec)`` fails listing the gaps.

From a playbook (the Molecule scenario switch_modes), against a running emulator:
``python tests/support/egress_gap.py begin --endpoint-url URL --network NAME --state-file F`` takes the snapshot
into ``F`` and starts a fresh recording; ``python tests/support/egress_gap.py check --endpoint-url URL --state-file F``
stops it, replays it, prints the gaps and exits 1 when there are any.
"""

import argparse
import dataclasses
import json
import sys
import urllib.request
from dataclasses import dataclass

import boto3

from aws_emulator import ACCESS_KEY, NAT_STATE_EVENT_METHOD, REGION, SECRET_KEY
from aws_emulator.client import Recording

DEFAULT_ROUTE = "0.0.0.0/0"
PRIVATE_PREFIX = "private-"


@dataclass
class EgressSnapshot:
    names: dict  # private route table id -> its cloudreactor:table name
    routes: dict  # private route table id -> the target of its 0.0.0.0/0 route (None: no such route)
    associations: dict  # association id -> private route table id
    nat_states: dict  # NAT gateway id -> state, for the NAT gateways those routes use


def _tag(resource, key):
    return next((tag["Value"] for tag in resource.get("Tags") or [] if tag["Key"] == key), "")


def _target(route):
    return route.get("NatGatewayId") or route.get("GatewayId") or route.get("TransitGatewayId")


def egress_snapshot(ec2, network):
    """The private route tables of ``network`` and the NAT gateways they use, as AWS describes them now."""
    tables = ec2.describe_route_tables(Filters=[{"Name": "tag:cloudreactor:network", "Values": [network]}])
    private = [table for table in tables["RouteTables"] if _tag(table, "cloudreactor:table").startswith(PRIVATE_PREFIX)]
    routes = {
        table["RouteTableId"]: next(
            (_target(route) for route in table["Routes"] if route.get("DestinationCidrBlock") == DEFAULT_ROUTE), None
        )
        for table in private
    }
    nat_ids = sorted({target for target in routes.values() if target and target.startswith("nat-")})
    nats = ec2.describe_nat_gateways(Filter=[{"Name": "nat-gateway-id", "Values": nat_ids}])["NatGateways"]
    return EgressSnapshot(
        names={table["RouteTableId"]: _tag(table, "cloudreactor:table") for table in private},
        routes=routes,
        associations={
            association["RouteTableAssociationId"]: table["RouteTableId"]
            for table in private
            for association in table.get("Associations") or []
        },
        nat_states={nat["NatGatewayId"]: nat["State"] for nat in nats} if nat_ids else {},
    )


def egress_gaps(before, rec):
    """Every gap (see the module docstring) in ``rec``, a recording that began when ``before`` was taken."""
    routes = dict(before.routes)
    states = dict(before.nat_states)
    gaps = []

    def has_egress(table_id):
        target = routes.get(table_id)
        return bool(target) and states.get(target) == "available"

    def gap(index, table_id, what):
        gaps.append(f"call {index}: {before.names[table_id]} ({table_id}) {what}")

    for index, call in enumerate(rec.calls):
        if call.method == NAT_STATE_EVENT_METHOD:
            event = json.loads(call.body)
            served = [table_id for table_id in routes if has_egress(table_id)]
            states[event["nat_gateway_id"]] = event["new_state"]
            for table_id in served:
                if not has_egress(table_id):
                    gap(index, table_id, f"lost egress: its NAT gateway {routes[table_id]} became {event['new_state']}")
            continue
        params = call.params
        table_id = params.get("RouteTableId")
        default_route = params.get("DestinationCidrBlock") == DEFAULT_ROUTE
        if call.action in ("CreateRoute", "ReplaceRoute") and table_id in routes and default_route:
            target = params.get("NatGatewayId") or params.get("GatewayId")
            state = states.get(target, "pending")  # a NAT gateway made during the recording: pending until an event
            if has_egress(table_id) and state != "available":
                gap(index, table_id, f"moved off {routes[table_id]} (available) to {target} ({state}): {call.action}")
            routes[table_id] = target
        elif call.action == "DeleteRoute" and table_id in routes and default_route:
            gap(index, table_id, f"lost its default route to {routes[table_id]} (DeleteRoute)")
            routes[table_id] = None
        elif call.action == "DeleteNatGateway":
            nat_id = params.get("NatGatewayId")
            working = states.get(nat_id, "pending") in ("pending", "available")
            for user in [table_id for table_id, target in routes.items() if target == nat_id and working]:
                gap(index, user, f"still routes to {nat_id}, which DeleteNatGateway deletes")
            states[nat_id] = "deleting"
        elif call.action == "DeleteRouteTable" and table_id in routes and has_egress(table_id):
            gap(index, table_id, "was deleted while it had egress")
        elif call.action == "DisassociateRouteTable":
            owner = before.associations.get(params.get("AssociationId"))
            if owner and has_egress(owner):
                gap(index, owner, f"lost a subnet ({params.get('AssociationId')}) while it had egress")
    return gaps


def assert_no_egress_gap(before, rec):
    gaps = egress_gaps(before, rec)
    assert not gaps, "egress gaps:\n" + "\n".join(gaps)


# -- command line ----------------------------------------------------------------------------------------------------


def _recorder(endpoint_url, what):
    method = "GET" if what == "download-recording" else "POST"
    request = urllib.request.Request(f"{endpoint_url}/moto-api/recorder/{what}", data=b"" if method == "POST" else None)
    request.method = method
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="egress_gap.py", description="Egress-gap proof against a running emulator.")
    parser.add_argument("command", choices=["begin", "check"])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--state-file", required=True, help="where begin keeps the snapshot for check")
    parser.add_argument("--network", help="the network's name (begin)")
    args = parser.parse_args(argv)
    if args.command == "begin":
        ec2 = boto3.client(
            "ec2",
            endpoint_url=args.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        snapshot = egress_snapshot(ec2, args.network)
        with open(args.state_file, "w") as file:
            json.dump(dataclasses.asdict(snapshot), file)
        _recorder(args.endpoint_url, "reset-recording")
        _recorder(args.endpoint_url, "start-recording")
        print(f"watching {len(snapshot.routes)} private route tables of {args.network}")
        return 0
    _recorder(args.endpoint_url, "stop-recording")
    rec = Recording()
    rec._load(_recorder(args.endpoint_url, "download-recording"))
    with open(args.state_file) as file:
        before = EgressSnapshot(**json.load(file))
    if not rec.actions:
        print("the recording is empty: was the emulator started with a recording file, and begin run first?")
        return 2
    gaps = egress_gaps(before, rec)
    moves = sum(call.action in ("CreateRoute", "ReplaceRoute") for call in rec.calls)
    print(f"{len(rec.actions)} calls, {moves} route changes, {len(rec.nat_states)} NAT state changes, {len(gaps)} gaps")
    for line in gaps:
        print(line)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
