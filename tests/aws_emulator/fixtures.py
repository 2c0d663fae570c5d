"""pytest fixtures: ``emulator`` (one server per session / xdist worker), ``aws`` (reset before each test), ``ec2``
and ``propagation_delay`` (EC2 eventual consistency for one test).

Make them available from a conftest: ``from aws_emulator.fixtures import aws, emulator  # noqa: F401``.
"""

from collections.abc import Iterator

import pytest

from aws_emulator.client import Emulator

#: The ``propagation_delay`` fixture's delay when a test does not choose one.
DEFAULT_PROPAGATION_DELAY = 1.0


#: A session's emulator when whoever runs the session gives it one (``config.stash[GIVEN_EMULATOR]``): the patch proof
#: test (tests/emulator/test_emulator_patch_proofs.py) runs each patch's proofs against an emulator without that patch.
GIVEN_EMULATOR = pytest.StashKey[Emulator]()


@pytest.fixture(scope="session")
def emulator(pytestconfig: pytest.Config) -> Iterator[Emulator]:
    """The session's emulator server (NAT transition ``immediate``); stopped when the session ends."""
    given = pytestconfig.stash.get(GIVEN_EMULATOR, None)
    if given is not None:
        yield given
        return
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


@pytest.fixture
def propagation_delay(aws: Emulator, request: pytest.FixtureRequest) -> Iterator[float]:
    """The reset emulator made eventually consistent for this test; the value is the delay in seconds.

    1 s unless the test chooses: ``@pytest.mark.parametrize("propagation_delay", [2.0], indirect=True)``.
    """
    seconds = getattr(request, "param", DEFAULT_PROPAGATION_DELAY)
    aws.set_propagation_delay(seconds)
    yield seconds
    aws.set_propagation_delay(aws.default_propagation_delay)
