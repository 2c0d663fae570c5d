# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry policy for every EC2 call the collection makes.

Two policies, because they answer different failures:

* ``AWS_RETRY`` retries what AWS asks callers to retry (throttling, 5xx). Every call opts in with
  ``aws_retry=True`` on the client returned by :func:`module.ec2_client`.
* ``AFTER_CREATE_RETRY`` also retries the ``*.NotFound`` errors that EC2's eventual consistency returns for a
  resource created a moment ago. It is used only through :func:`retry_after_create`, for calls that name a
  resource this run has just created; elsewhere a NotFound is a real answer and must not cost a backoff.
"""

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# Errors EC2 returns for an id that exists but has not propagated yet.
EVENTUAL_CONSISTENCY_CODES = (
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidNatGatewayID.NotFound",
    "NatGatewayNotFound",
    "InvalidAllocationID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidNetworkAclID.NotFound",
)

# Start at 1 s and cap at 20 s: throttling in a busy account clears in seconds, and ten attempts span minutes.
_BACKOFF = dict(retries=10, delay=1, backoff=2.0, max_delay=20)

AWS_RETRY = AWSRetry.jittered_backoff(**_BACKOFF)
AFTER_CREATE_RETRY = AWSRetry.jittered_backoff(catch_extra_error_codes=list(EVENTUAL_CONSISTENCY_CODES), **_BACKOFF)


def retry_after_create(call, **kwargs):
    """Call ``call(**kwargs)``, retrying throttling and the NotFound of a resource that is still propagating."""
    return AFTER_CREATE_RETRY(call)(**kwargs)
