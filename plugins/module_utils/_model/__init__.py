# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run's model of a network and the pure rules over it: identity tags, what routes mean, where subnets go, and
the outcome every reconciler returns. No mutating call is made here."""
