# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every other package shares and that needs neither AWS nor CloudReactor: our errors, the format of EC2 ids,
Markdown tables. Imports nothing of the collection, so the CloudReactor side can use it without pulling in botocore."""
