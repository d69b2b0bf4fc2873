"""Peak RSS of one invocation; run by bench/forwarder_bench.py as a file in a fresh interpreter.

    python -I forwarder_rss_child.py LAMBDA_SRC ENDPOINT INDEX_PREFIX EVENT_JSON_FILE

Imports the forwarder from LAMBDA_SRC, processes the event in EVENT_JSON_FILE into the node at
ENDPOINT under INDEX_PREFIX, checks every event was stored or already present, and prints the
process's peak RSS in KiB (imports included).
"""

import json
import resource
import sys
import time


def main(lambda_src: str, endpoint: str, index_prefix: str, event_file: str) -> int:
    sys.path[:0] = [lambda_src]
    from forwarder.client import make_client
    from forwarder.handler import process
    from forwarder.settings import Settings

    settings = Settings.from_env(
        {"OPENSEARCH_ENDPOINT": endpoint, "AWS_REGION": "eu-west-1", "INDEX_PREFIX": index_prefix}
    )
    with open(event_file) as f:
        event = json.load(f)
    summary = process(event, settings, make_client(settings), time.monotonic() + 120)
    assert summary.stored + summary.already_present == summary.events_in, summary
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    print(main(*sys.argv[1:5]))
