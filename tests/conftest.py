"""Root conftest of the test suite: makes the emulator fixtures (``emulator``, ``aws``, ``ec2``) available everywhere."""

from aws_emulator.fixtures import aws, ec2, emulator  # noqa: F401
