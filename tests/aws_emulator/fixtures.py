"""pytest fixtures: ``emulator`` (one server per session / xdist worker) and ``aws`` (reset before each test).

Make them available from a conftest: ``from aws_emulator.fixtures import aws, emulator  # noqa: F401``.
"""

from collections.abc import Iterator

import pytest

from aws_emulator.client import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The session's emulator server (NAT transition ``immediate``); stopped when the session ends."""
    emu = Emulator.start(nat_transition="immediate")
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def aws(emulator: Emulator) -> Iterator[Emulator]:
    """The session's emulator with all AWS state reset (and the NAT transition back to ``immediate``)."""
    emulator.reset()
    yield emulator


@pytest.fixture
def ec2(aws: Emulator):
    """A boto3 EC2 client for building a test's scenario on the reset emulator."""
    return aws.boto3_client("ec2")
