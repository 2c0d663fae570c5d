"""Root conftest of the test suite: makes the emulator fixtures (``emulator``, ``aws``) available everywhere."""

from aws_emulator.fixtures import aws, emulator  # noqa: F401
