# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network as a whole: ``converge`` builds and repairs it resource by resource in dependency order, ``teardown``
removes it in reverse. The ``network`` module is a thin wrapper over these two."""
