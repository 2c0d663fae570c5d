"""Root conftest: the emulator fixtures (``emulator``, ``aws``, ``ec2``, ``propagation_delay``), and the order tests
are handed to xdist workers in."""

from aws_emulator.fixtures import aws, ec2, emulator, propagation_delay  # noqa: F401

# Tests that take half a minute or more: whole playbooks, or builds through propagation delays.
LONG_TESTS = ("tests/reliability/", "tests/integration/test_bench_smoke.py", "tests/integration/test_demo.py")


def pytest_collection_modifyitems(items):
    """The longest tests first (Molecule scenarios, then LONG_TESTS): xdist hands tests out in this order, and a long
    test left for last would keep one worker busy long after the others are done."""

    def rank(item):
        if item.get_closest_marker("molecule"):
            return 0
        return 1 if item.nodeid.startswith(LONG_TESTS) else 2

    items.sort(key=rank)
