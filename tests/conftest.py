"""Root conftest: makes the emulator fixtures (``emulator``, ``aws``, ``ec2``, ``propagation_delay``) available."""

from aws_emulator.fixtures import aws, ec2, emulator, propagation_delay  # noqa: F401


def pytest_collection_modifyitems(items):
    """Molecule scenarios first: they are the longest tests, and xdist hands tests out in this order, so a scenario
    left for last would keep one worker busy long after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("molecule") is None)
