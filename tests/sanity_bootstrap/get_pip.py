"""Offline stand-in for the get-pip script ansible-test downloads when it bootstraps a sanity venv.

ansible-test runs this file (as ``~/.ansible/test/cache/get_pip_<version>.py``) inside each new virtualenv to
install pip. The script it normally downloads lives on a host our machines cannot reach, so ``make`` puts this
file there instead, next to the pip wheel fetched from PyPI, and pip installs itself from that wheel.
"""

import glob
import os
import sys

# get-pip's own options that pip's installer does not know; ansible-test passes them, they change nothing here.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main():
    cache = os.path.dirname(os.path.abspath(__file__))
    wheels = sorted(glob.glob(os.path.join(cache, "pip-*.whl")))
    if not wheels:
        sys.exit(f"no pip wheel in {cache}: run `make sanity-bootstrap`")
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main  # noqa: PLC0415 - importable only from the wheel

    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_OPTIONS]
    sys.exit(pip_main(["install", "--find-links", cache, *args]))


if __name__ == "__main__":
    main()
