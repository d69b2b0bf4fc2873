"""Build the opensearch-py client: requests transport, gzip bodies, SigV4 that refreshes."""

from __future__ import annotations

import gzip
import threading
from typing import Any
from urllib.parse import urlsplit

from opensearchpy import OpenSearch, RequestsHttpConnection

from forwarder.settings import MAX_BULK_CONCURRENCY, Settings

# gzip level 1 instead of GzipFile's default 9: on JSON log lines it is several times
# cheaper in CPU for a body only ~10-15% larger, and CPU is what a small Lambda lacks.
GZIP_LEVEL = 1


class _Connection(RequestsHttpConnection):
    """RequestsHttpConnection with a cheaper gzip level.

    opensearch-py compresses in ``perform_request`` *before* ``session.prepare_request``
    runs the auth hook, so AWS4Auth signs (and hashes, in x-amz-content-sha256) the
    compressed bytes that are actually sent; the content-encoding header is not part of
    AWS4Auth's signed headers. tests/forwarder/test_client.py checks both on the wire.
    """

    def _gzip_compress(self, body: Any) -> bytes:
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def make_client(settings: Settings, credentials: Any = None) -> OpenSearch:
    """One client per container, reused by every invocation.

    ``credentials``: botocore credentials to sign with; by default the function role's,
    from a botocore session (RefreshableCredentials: AWS4Auth asks them for a fresh frozen
    set on every request, so a long-lived container never signs with expired keys).
    Signing is skipped only for an ``http://`` endpoint on loopback (a local test node),
    see ``Settings.signed``.
    """
    parts = urlsplit(settings.endpoint)
    use_ssl = parts.scheme == "https"
    auth = None
    if settings.signed:
        from requests_aws4auth import AWS4Auth  # imported only where it is used

        if credentials is None:
            import botocore.session  # in the Lambda runtime; not bundled

            credentials = botocore.session.get_session().get_credentials()
            if credentials is None:
                raise RuntimeError("no AWS credentials found to sign OpenSearch requests")

        class OneAtATime(AWS4Auth):  # type: ignore[misc]
            """AWS4Auth keeps the credentials and key of the request it signs on itself
            (refreshed per request): two bulk requests signed at once around a credential
            refresh or UTC midnight could mix one's key with the other's."""

            lock = threading.Lock()

            def __call__(self, req: Any) -> Any:
                with self.lock:
                    return super().__call__(req)

        # Signed for the domain's region, never the forwarder's own (Settings.domain_region).
        auth = OneAtATime(
            refreshable_credentials=credentials, region=settings.domain_region,
            service=settings.service,
        )
    return OpenSearch(
        hosts=[{"host": parts.hostname, "port": parts.port or (443 if use_ssl else 80)}],
        use_ssl=use_ssl,
        verify_certs=True,
        http_auth=auth,
        http_compress=True,
        connection_class=_Connection,
        timeout=settings.request_timeout_s,
        # Retrying is bulk.py's job (per item, within the Lambda's time); the transport
        # must not retry on its own behind our back.
        max_retries=0,
        retry_on_timeout=False,
        # A connection for each bulk request in flight (bulk.Shipper, BULK_CONCURRENCY).
        pool_maxsize=MAX_BULK_CONCURRENCY,
    )
