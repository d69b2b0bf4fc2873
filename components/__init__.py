"""Deploy side of edgelogs: Pulumi components and the stack configuration model.

The deploy side's one import from lambda_src is `contract` (the values both sides share). The
Pulumi CLI runs __main__.py with only this project's folder on sys.path, so lambda_src is put
there for whoever imports components: the program, the tests, the scripts.
"""

import sys
from pathlib import Path

_LAMBDA_SRC = str(Path(__file__).resolve().parents[1] / "lambda_src")
if _LAMBDA_SRC not in sys.path:
    sys.path.insert(0, _LAMBDA_SRC)
