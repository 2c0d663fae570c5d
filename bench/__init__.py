"""Benchmarks: cloudreactor.aws.fargate_network against a network built with amazon.aws modules only.

``python -m bench`` (``make bench``) runs everything against one emulator; see docs/performance.md. Importing this
package puts the test helpers (``tests/``: the emulator, the in-process module runner) and this checkout's
``collections/`` (``ansible_collections.cloudreactor.aws``) on ``sys.path``, so the command needs no PYTHONPATH.
"""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

for _path in (REPO / "tests", REPO / "collections"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
