# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options naming a CloudReactor deploy_config and one of its deployment environments.

Shared by the modules that read or write ``deploy_config/vars``; their argument spec is
``module_utils.deploy_config.deploy_config_argument_spec()``.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  deploy_config_dir:
    description:
      - The project's C(deploy_config) directory (the one holding C(vars/common.yml)).
    type: path
    required: true
  deployment_environment:
    description:
      - The deployment environment, as given to C(cr_deploy.sh).
    type: str
    required: true
    aliases: [env]
  config_filename_stem:
    description:
      - Stem of the environment file when it differs from the environment name (the deployer's
        C(CONFIG_FILENAME_STEM)). Default is the environment name without characters outside C([a-zA-Z0-9_-]).
    type: str
"""
