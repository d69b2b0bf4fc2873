"""Deploy side of edgelogs: Pulumi components and the stack configuration model."""

import sys
from pathlib import Path

# The one module of lambda_src the deploy side imports (`import contract`): the data-only
# contract of values both sides share. lambda_src is not a package, so its folder goes on
# the path here, before any component imports it (pytest also has it, pyproject pythonpath).
_LAMBDA_SRC = str(Path(__file__).resolve().parent.parent / "lambda_src")
if _LAMBDA_SRC not in sys.path:
    sys.path.append(_LAMBDA_SRC)
