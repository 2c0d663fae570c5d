"""Fixtures of the network_check tests (tests/integration/test_network_check_*)."""

import pytest
from support.network_check_helpers import build_network


@pytest.fixture
def net(ec2):
    """The healthy network that each network_check test breaks in one way. Test files that need another network
    (test_route_table, test_read_cache) define their own ``net``, which takes precedence over this one."""
    return build_network(ec2)
