# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline Fargate egress audit behind ``cloudreactor.aws.network_check``.

``snapshot`` reads a VPC in a fixed number of batched describe calls; ``paths`` works out each subnet's way out;
the modules of ``checks`` turn the snapshot into findings whose codes are defined once, in ``findings``; ``report``
renders Markdown with a Mermaid diagram; ``run`` ties them together.
"""
