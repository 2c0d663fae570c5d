"""Offline AWS emulator for the cloudreactor.aws tests: moto's server plus a few patches.

Stock moto gets some EC2 behaviours wrong that the collection depends on (NAT gateway lifecycle, blackhole routes,
NotFound error codes, ...). ``aws_emulator.patches`` restores them inside the server process, ``aws_emulator.server``
launches the server (``python -m aws_emulator``), and ``aws_emulator.client.Emulator`` is the handle tests use.

This module must stay import-light: the launcher sets environment variables (recording file) before moto is imported.
"""

#: The moto version the patches were written against (see requirements-dev.txt). Each patch has a proof test in
#: tests/emulator/ that fails when a moto upgrade breaks it.
PINNED_MOTO_VERSION = "5.2.5"

#: moto state-manager model name that drives the NAT gateway lifecycle (POST /moto-api/state-manager/set-transition).
NAT_MODEL_NAME = "ec2::nat_gateway"

#: Control endpoint of the propagation delay (patches/eventual_consistency.py): GET, or POST ``{"seconds": L}``.
PROPAGATION_DELAY_PATH = "/moto-api/aws-emulator/propagation-delay"

#: Control endpoint of the emulator's clock (aws_emulator/clock.py, patches/eventual_consistency.py): GET, or POST
#: ``{"action": "hold"}`` (``"resume"``, ``"settle"``, or ``"advance"`` with ``"seconds"``).
CLOCK_PATH = "/moto-api/aws-emulator/clock"

#: Recording entries of NAT gateway state changes (patches/nat_state_events.py): their method and url.
NAT_STATE_EVENT_METHOD = "EVENT"
NAT_STATE_EVENT_URL = "/aws-emulator/nat-gateway-state"

#: Default region and credentials of the emulator handle.
REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"

__all__ = [
    "ACCESS_KEY",
    "CLOCK_PATH",
    "NAT_MODEL_NAME",
    "NAT_STATE_EVENT_METHOD",
    "NAT_STATE_EVENT_URL",
    "PINNED_MOTO_VERSION",
    "PROPAGATION_DELAY_PATH",
    "REGION",
    "SECRET_KEY",
]
