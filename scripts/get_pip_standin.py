"""Stand-in for pip's get-pip.py, installed where ansible-test looks for its bootstrap script.

ansible-test bootstraps pip in each virtual environment it creates by downloading get-pip.py
from a host that is not reachable from every network. This script does the same job from a
pip wheel fetched from PyPI beforehand (scripts/sanity-setup writes its path below).
"""

import os
import shutil
import sys
import tempfile
import zipfile

WHEEL = "@WHEEL@"


def main():
    args = sys.argv[1:]
    # get-pip.py adds setuptools and wheel unless told not to; ansible-test always tells it not to,
    # and pip's own command line does not know these flags.
    wanted = [arg for arg in args if arg not in ("--no-setuptools", "--no-wheel")]
    if not os.path.isfile(WHEEL):
        sys.stderr.write(f"pip wheel {WHEEL} is missing: run scripts/sanity-setup again\n")
        return 1

    unpacked = tempfile.mkdtemp(prefix="get-pip-")
    try:
        with zipfile.ZipFile(WHEEL) as wheel:
            wheel.extractall(unpacked)
        sys.path.insert(0, unpacked)
        from pip._internal.cli.main import main as pip_main

        return pip_main(["install", "--upgrade", "--force-reinstall", *wanted])
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
