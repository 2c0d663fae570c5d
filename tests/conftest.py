"""Root conftest: makes the emulator fixtures (``emulator``, ``aws``, ``ec2``) available to every test."""

from aws_emulator.fixtures import aws, ec2, emulator  # noqa: F401
