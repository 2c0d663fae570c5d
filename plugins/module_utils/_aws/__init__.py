# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS plumbing: the module base and its EC2 client, retries, create-once, waits, batched describes, the read cache,
and the one error path. Knows EC2, knows nothing of networks."""
