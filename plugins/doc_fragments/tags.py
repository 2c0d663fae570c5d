# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tags`` and ``purge_tags`` options of every module that builds resources (module_utils/_model/tagging.py).

They mean what amazon.aws's ``amazon.aws.tags`` fragment says, with the collection's own tags kept out of the purge:
the identity tags and the ``Name`` tag.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  tags:
    description:
      - Tags for the resources this module creates or already owns (those carrying the network's identity tags).
        A resource without them is never tagged.
      - When not set, the tags of existing resources are left as they are; the collection's own tags are still set.
      - The identity tags (C(cloudreactor:) keys) always win over tags given here. A C(Name) tag here replaces the
        name the module gives the resource.
    type: dict
  purge_tags:
    description:
      - With O(tags) set, remove the tags of a resource that O(tags) does not list, as amazon.aws modules do.
        When O(tags) is not set, nothing is removed.
      - The identity tags (C(cloudreactor:) keys), the C(Name) tag and AWS's reserved C(aws:) tags are never
        removed.
      - Set V(false) to only add and correct tags, keeping those others set (for example by hand in the console).
    type: bool
    default: true
"""
