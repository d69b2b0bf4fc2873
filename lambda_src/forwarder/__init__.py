"""edgelogs forwarder: CloudWatch Logs subscription batches -> OpenSearch bulk requests.

Entry point for Lambda: ``forwarder.handler.lambda_handler``. The same code path without
Lambda: ``forwarder.handler.process`` (used by the replay tool and the tests).
"""
