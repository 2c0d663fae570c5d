"""Run one of our Ansible modules in this process, as Ansible would run it, and return its result.

In-process runs take milliseconds instead of the seconds an ``ansible`` subprocess costs, so every behaviour
can have its own test. The module still talks HTTP to the emulator, through boto3, like in production.
"""

import contextlib
import importlib
import io
import json

from ansible.module_utils import _internal as module_internal
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.testing import patch_module_args


def run_module(name, params, *, check_mode=False, diff=False):
    """Run ``cloudreactor.aws.<name>`` with ``params``; return the result dict (``failed`` is set on failure)."""
    module = importlib.import_module(f"ansible_collections.cloudreactor.aws.plugins.modules.{name}")
    args = dict(params, _ansible_check_mode=check_mode, _ansible_diff=diff)
    stdout = io.StringIO()
    # A real module starts in a fresh process; here, warnings an earlier run left in ansible-core's module-level
    # store would otherwise be reported again by this one.
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    # Nor on the controller: once a test has loaded controller code in this process (an action plugin), ansible-core
    # would print a module's warnings instead of returning them.
    on_controller = module_internal.is_controller
    module_internal.is_controller = False
    try:
        with patch_module_args(args), contextlib.redirect_stdout(stdout):
            try:
                module.main()
            except SystemExit:
                pass
            else:
                raise AssertionError(f"module {name} returned without calling exit_json or fail_json")
    finally:
        module_internal.is_controller = on_controller
    return json.loads(stdout.getvalue())
