"""Run the ``simlab`` command as ``python -m simlab``."""

import sys

from simlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
