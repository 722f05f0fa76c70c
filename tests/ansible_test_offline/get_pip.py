"""Offline stand-in for ansible-test's downloaded get-pip.py.

ansible-test runs ``python get_pip.py --disable-pip-version-check pip==X [--no-setuptools] [--no-wheel]``
inside a new, empty virtual environment.  This installs pip from the interpreter's bundled wheel
(ensurepip), then the requested packages from the configured package index.
"""

import subprocess
import sys

# get-pip.py's own flags; pip install does not know them.
GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    requested = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    return subprocess.call([sys.executable, "-m", "pip", "install", "--quiet", *requested])


if __name__ == "__main__":
    sys.exit(main())
