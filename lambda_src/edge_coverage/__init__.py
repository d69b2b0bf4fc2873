"""edgelogs coverage: which Lambda@Edge log groups exist, in every enabled region, and which
of them this stack collects.

``edge_coverage.audit`` is the logic, shared by ``scripts/audit`` (ops/audit.py) and the daily
check, whose Lambda entry point is ``edge_coverage.handler.lambda_handler``. Standard library
and boto3 only (the Lambda runtime's own), plus lambda_src/contract.py, so the function's zip
holds just this package and that module.
The name avoids shadowing coverage.py's ``coverage`` package on a developer's path.
"""
