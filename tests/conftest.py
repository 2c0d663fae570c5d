"""Root conftest: the emulator fixtures (``emulator``, ``aws``, ``ec2``, ``propagation_delay``), and the order tests
are handed to xdist workers in."""

from botocore import loaders

from aws_emulator.fixtures import aws, ec2, emulator, propagation_delay  # noqa: F401

_LOADER_CACHES = {}
_loader_init = loaders.Loader.__init__


def _loader_with_shared_cache(self, *args, **kwargs):
    """Every botocore loader of the test process with the same search paths shares one cache of what it read. A
    module run in-process makes a new boto3 session, whose loader would otherwise parse botocore's data files again
    (the EC2 model alone is megabytes of JSON: ~0.2 CPU-s per run). A real module process starts with an empty cache
    and reads the same files, so what the module does is unchanged."""
    _loader_init(self, *args, **kwargs)
    self._cache = _LOADER_CACHES.setdefault(tuple(self.search_paths), self._cache)


loaders.Loader.__init__ = _loader_with_shared_cache

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
