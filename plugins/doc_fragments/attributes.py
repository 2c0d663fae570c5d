# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes every module of this collection declares (ansible-doc shows them as a table).

A module extends ``cloudreactor.aws.attributes`` and states its own ``support`` (and ``details``) for check_mode and
diff_mode; modules that only read extend ``cloudreactor.aws.attributes.info_module`` instead of stating them. Modules in
the ``aws`` action group of meta/runtime.yml extend ``cloudreactor.aws.attributes.action_group``; the documentation of
an action plugin extends ``cloudreactor.aws.attributes.action_plugin``.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff
      mode.
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
"""

    ACTION_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/cloudreactor.aws.aws) in C(module_defaults) to set default values for the options of this
      module. The group also holds every module of amazon.aws's C(aws) group.
    support: full
    membership:
      - cloudreactor.aws.aws
"""

    ACTION_PLUGIN = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the
      controller.
    support: full
    details:
      - It runs entirely on the controller, where the C(deploy_config) directory is; no module runs on the target.
"""
