"""Root conftest: makes the emulator fixtures (``emulator``, ``aws``, ``ec2``, ``propagation_delay``) available."""

from aws_emulator.fixtures import aws, ec2, emulator, propagation_delay  # noqa: F401
