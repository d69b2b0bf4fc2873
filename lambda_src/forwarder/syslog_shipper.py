"""A syslog destination: RFC 5424 messages over TLS (RFC 5425) or plain TCP, octet-counted
(RFC 6587 section 3.4.1: ``<length> <message>``, so a multi-line event stays one record).

Each document becomes one message: HOSTNAME is the region the log was written in, APP-NAME
the edge function (or the distribution, for CloudFront's Lambda@Edge error logs), the event
id and the document's other fields are structured data, and MSG is the log line.

Syslog over TCP or TLS has no acknowledgement: a message written to the socket can still be
lost when the receiver restarts. So a batch is counted delivered only once the receiver is
known to have read all of it: the sender closes cleanly (TLS close_notify, or a TCP
half-close), and the receiver's own close must come back, with every byte sent acknowledged
by its TCP stack. A receiver can only see our close after reading everything before it, and a
receiver that dies with unread data resets the connection instead. Anything else (an error,
a reset, no close in time) sends the whole batch again, within the time left, through the
forwarder's one retry policy (retry.py); receivers drop the duplicates by event id.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import socket
import ssl
import struct
import termios
import time
from typing import Any

from forwarder.destinations import Delivered, Documents
from forwarder.retry import OutOfTime, RetryPolicy

# Structured data ids: name@<private enterprise number>. 32473 is the number RFC 5612
# reserves for documentation and examples; a deployment may use its own.
SD_EVENT = "edgelogs@32473"
SD_LAMBDA = "lambda@32473"
FACILITY = 1  # user-level messages
_SEVERITY = {"TRACE": 7, "DEBUG": 7, "INFO": 6, "WARN": 4, "WARNING": 4, "ERROR": 3,
             "FATAL": 2, "CRITICAL": 2}
# Fields that are the header or MSG, or the event element, not the Lambda element.
_HEADER = frozenset({"@timestamp", "message", "cloud.region", "cloud.provider"})
_EVENT = ("event.id", "cloud.account.id", "log.group", "log.stream")
_APP_NAME_MAX = 48  # RFC 5424 APP-NAME: 1*48PRINTUSASCII
_HOST_MAX = 255
# Waiting for a receiver's FIN to be followed by the acknowledgement of our last bytes.
_ACK_WAIT_S = 1.0


def _param(value: Any) -> str:
    """An SD PARAM-VALUE: '"', '\\' and ']' escaped (RFC 5424 section 6.3.3)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _sd_name(name: str) -> bool:
    """RFC 5424 SD-NAME: 1-32 printable US-ASCII, none of '=', ' ', ']', '"'."""
    return (0 < len(name) <= 32 and name.isascii() and name.isprintable()
            and not any(c in name for c in '= ]"'))


def _token(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, at most ``limit``; else '-'."""
    kept = "".join(c for c in text if "!" <= c <= "~")[:limit]
    return kept or "-"


def message(doc: dict[str, Any]) -> bytes:
    """One document as an RFC 5424 message (without its octet count)."""
    level = doc.get("log.level")
    pri = FACILITY * 8 + _SEVERITY.get(level if isinstance(level, str) else "", 6)
    host = _token(str(doc.get("cloud.region") or ""), _HOST_MAX)
    app = _token(str(doc.get("faas.name") or doc.get("aws.cloudfront.distribution_id") or ""),
                 _APP_NAME_MAX)
    event = " ".join(f'{k}="{_param(doc[k])}"' for k in _EVENT if k in doc)
    rest = []
    for key, value in doc.items():
        if key in _HEADER or key in _EVENT or not _sd_name(key):
            continue
        if isinstance(value, list):
            value = ",".join(map(str, value))
        elif isinstance(value, dict):
            continue  # a JSON message's content: MSG carries it whole
        rest.append(f'{key}="{_param(value)}"')
    sd = f"[{SD_EVENT} {event}]" + (f"[{SD_LAMBDA} {' '.join(rest)}]" if rest else "")
    text = f"<{pri}>1 {doc.get('@timestamp') or '-'} {host} {app} - - {sd} {doc.get('message', '')}"
    return text.encode("utf-8", "replace")


def frames(docs: Documents) -> bytes:
    """Every document, octet-counted, as one byte string."""
    out = []
    loads = json.loads
    for src in docs.sources:
        body = message(loads(src))
        out.append(b"%d %s" % (len(body), body))
    return b"".join(out)


def unacknowledged(sock: socket.socket) -> int:
    """Bytes in the socket's send queue not yet acknowledged by the receiver's TCP stack
    (Linux SIOCOUTQ, the same ioctl number as TIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


class NotConfirmed(Exception):
    """The receiver did not confirm it read the whole batch."""


class SyslogShipper:
    def __init__(self, name: str, host: str, port: int, tls: bool, request_timeout_s: float,
                 cafile: str | None = None) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.tls = tls
        self.request_timeout_s = request_timeout_s
        self.context: ssl.SSLContext | None = None
        if tls:
            # The system's CAs (cafile: a private CA, for tests and the demo); TLS 1.2+,
            # the receiver's certificate checked against its host name (RFC 5425 5.2).
            self.context = ssl.create_default_context(cafile=cafile)
            self.context.minimum_version = ssl.TLSVersion.TLSv1_2

    def ship(self, docs: Documents, policy: RetryPolicy) -> Delivered:
        out = Delivered(self.name)
        if not docs.sources:
            return out
        body = frames(docs)
        attempt = 0
        while True:
            try:
                timeout = policy.request_timeout()
            except OutOfTime:
                out.reason = out.reason or "out of time before the batch was sent"
                break
            attempt += 1
            out.bytes_sent += len(body)
            try:
                self._send(body, timeout, policy)
                out.sent = len(docs.sources)
                break
            except (OSError, NotConfirmed) as exc:
                out.reason = f"{type(exc).__name__}: {exc}"[:300]
            if not policy.backoff(attempt):
                out.reason = f"{out.reason}; {policy.gave_up(attempt)}"
                break
        out.attempts = attempt
        out.undelivered = len(docs.sources) - out.sent
        return out

    def _send(self, body: bytes, timeout: float, policy: RetryPolicy) -> None:
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        with contextlib.closing(raw):
            if self.context is None:
                raw.sendall(body)
                raw.shutdown(socket.SHUT_WR)  # the half-close the receiver answers
                self._await_close(raw, policy)
                return
            # wrap_socket takes the connection over: from here on it is ``tls``'s.
            tls = self.context.wrap_socket(raw, server_hostname=self.host)
            with contextlib.closing(tls):
                tls.sendall(body)
                try:
                    # close_notify, then the receiver's own close_notify...
                    plain = tls.unwrap()
                except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
                    # ...or its FIN without one: closed after reading ours, unless our
                    # bytes were never acknowledged (checked below).
                    self._await_acks(tls)
                    return
                except ssl.SSLError as exc:
                    if "UNEXPECTED_EOF" not in str(exc).upper():
                        raise
                    self._await_acks(tls)
                    return
                with contextlib.closing(plain):
                    plain.shutdown(socket.SHUT_WR)
                    self._await_close(plain, policy)

    def _await_close(self, raw: socket.socket, policy: RetryPolicy) -> None:
        """Wait for the receiver's FIN (a reset raises), then for every byte we sent to be
        acknowledged: a receiver killed before reading our close never acknowledges it."""
        while True:
            raw.settimeout(max(0.05, policy.time_left()))
            try:
                if not raw.recv(65536):
                    break  # the receiver's close
            except TimeoutError:
                raise NotConfirmed("the receiver did not close the connection in time") from None
        self._await_acks(raw)

    @staticmethod
    def _await_acks(sock: socket.socket) -> None:
        waited = 0.0
        while unacknowledged(sock):
            if waited >= _ACK_WAIT_S:
                raise NotConfirmed(f"{unacknowledged(sock)} bytes never acknowledged")
            time.sleep(0.01)
            waited += 0.01
