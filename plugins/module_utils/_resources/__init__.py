# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One file per AWS resource the collection builds: each holds that resource's whole lifecycle (find ours, create,
repair, remove) behind one entry, ``reconcile(scope, [desired,] state)`` (see scope.py)."""
