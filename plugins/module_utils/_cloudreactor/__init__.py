# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudReactor's side: its API (Run Environments) and the deployer's ``deploy_config/vars`` files, edited so that
every byte the change does not touch is kept."""
