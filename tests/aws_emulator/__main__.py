"""Standalone CLI: ``PYTHONPATH=tests python -m aws_emulator --help``."""

import os
import sys

from aws_emulator.server import main

if __name__ == "__main__":
    code = main()
    # main() has already shut the server down and removed the pid file. Skip the interpreter's teardown of
    # moto's large module graph (~1 s) so that stopping the emulator is quick.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
