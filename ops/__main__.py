"""`python -m ops COMMAND ...`, the same as `edgelogs COMMAND ...`."""

import sys

from ops.cli import main

sys.exit(main())
