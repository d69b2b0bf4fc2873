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
import re
import socket
import ssl
import struct
import termios
import time
from itertools import pairwise
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
    """An SD PARAM-VALUE (RFC 5424 section 6.3.3): the value as a JSON string's inside, so
    '"' and '\\' come escaped as SD wants them, and ']' escaped too. Characters outside
    ASCII and control characters stay JSON escapes (\\u00e9, \\n): the documents' own text,
    and what the fast road (``frames``) copies without decoding it."""
    if isinstance(value, list):
        value = ",".join(map(str, value))
    text = json.dumps(value) if isinstance(value, str) else json.dumps(json.dumps(value))
    return text[1:-1].replace("]", "\\]")


def _sd_name(name: str) -> bool:
    """RFC 5424 SD-NAME: 1-32 printable US-ASCII, none of '=', ' ', ']', '"'."""
    return (0 < len(name) <= 32 and name.isascii() and name.isprintable()
            and not any(c in name for c in '= ]"'))


def _token(text: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, at most ``limit``; else '-'."""
    kept = "".join(c for c in text if "!" <= c <= "~")[:limit]
    return kept or "-"


def _pri(level: Any) -> int:
    return FACILITY * 8 + _SEVERITY.get(level if isinstance(level, str) else "", 6)


def message(doc: dict[str, Any]) -> bytes:
    """One document as an RFC 5424 message (without its octet count): the reference form.
    ``frames`` takes a faster road to the same bytes for nearly every document."""
    host = _token(str(doc.get("cloud.region") or ""), _HOST_MAX)
    app = _token(str(doc.get("faas.name") or doc.get("aws.cloudfront.distribution_id") or ""),
                 _APP_NAME_MAX)
    event = " ".join(f'{k}="{_param(doc[k])}"' for k in _EVENT if k in doc)
    rest = [f'{key}="{_param(value)}"' for key, value in doc.items()
            if key not in _NOT_LAMBDA and _sd_name(key) and not isinstance(value, dict)]
    if isinstance(doc.get("tags"), list):
        rest.append(f'tags="{_param(doc["tags"])}"')
    sd = f"[{SD_EVENT} {event}]" + (f"[{SD_LAMBDA} {' '.join(rest)}]" if rest else "")
    msg = doc.get("message")
    text = (f"<{_pri(doc.get('log.level'))}>1 {doc.get('@timestamp') or '-'} {host} {app} - - "
            f"{sd} {msg if isinstance(msg, str) else ''}")
    return text.encode("utf-8", "surrogatepass")


# Members that are never SD-PARAMs of the Lambda element: the header and MSG, the event
# element, the document's JSON content (MSG holds it whole), and the tags (put last).
_NOT_LAMBDA = frozenset({*_HEADER, *_EVENT, "json", "tags"})


def frames(docs: Documents) -> bytes:
    """Every document as an octet-counted RFC 5424 message, as one byte string.

    The fast road works on the documents' text, which is ASCII JSON: every member other than
    MSG and the JSON content is already an SD-PARAM but for its punctuation, so the whole
    batch is turned into SD text by a few replacements over all of it (in C), and Python
    only cuts out, per document, the members that go elsewhere. Anything it is not sure of
    (an escaped quote where structure is expected, a document built otherwise) sends the
    batch down the reference road, ``message``, which gives the same bytes.
    """
    if not docs.sources:
        return b""
    fast = _frames_fast(docs.sources)
    if fast is not None:
        return fast
    out = []
    for src in docs.sources:
        # Numbers as the document writes them (12.50 stays 12.50), as the fast road copies.
        body = message(json.loads(src, parse_float=str, parse_int=str))
        out.append(b"%d %s" % (len(body), body))
    return b"".join(out)


_UNQUOTED = re.compile(r'":(-?[0-9][^,}]*|true|false|null)(?=[,}])')
_SHARED = ("cloud.provider", "cloud.region", "cloud.account.id", "log.group", "log.stream")
_raw_decode = json.JSONDecoder().raw_decode
_loads = json.loads
_NUMBER_KEY = '"aws.lambda.duration_ms":'  # REPORT lines: the documents' numbers


def _string_end(src: str, start: int) -> int:
    """The index of the quote closing the JSON string whose text starts at ``start``."""
    end = src.find('"', start)
    while end > 0 and src[end - 1] == "\\":
        back = end - 1
        while src[back - 1] == "\\":
            back -= 1
        if (end - back) % 2 == 0:  # an even run of backslashes: they escape each other
            break
        end = src.find('"', end + 1)
    return end


def _member(src: str, key: str) -> tuple[int, int, int, int]:
    """(start, end) of the string member ``key`` with one comma beside it, and (start, end)
    of its value's text; (-1, ...) when it is not there."""
    at = src.find("," + key)
    if at >= 0:
        vs = at + len(key) + 1
        ve = _string_end(src, vs)
        return (at, ve + 1, vs, ve) if ve > 0 else (-1, -1, -1, -1)
    if src.startswith("{" + key):  # the first member: its comma follows it
        vs = len(key) + 1
        ve = _string_end(src, vs)
        return (1, ve + 2, vs, ve) if ve > 0 else (-1, -1, -1, -1)
    return -1, -1, -1, -1


def _cut_apart(src: str, add: Any) -> str | None:
    """A document whose @timestamp, event.id and message are not in a row: each cut out
    on its own; its header fields given to ``add``."""
    m0, m1, mv0, mv1 = _member(src, '"message":"')
    t0, t1, tv0, tv1 = _member(src, '"@timestamp":"')
    e0, e1, ev0, ev1 = _member(src, '"event.id":"')
    if m0 < 0 or e0 < 0:
        return None
    at = src.find('"log.level":"')
    add((src[at + 13:src.find('"', at + 13)] if at >= 0 else "",
         src[tv0:tv1] if t0 >= 0 else "-", src[ev0:ev1], src[mv0:mv1]))
    cuts = sorted(c for c in ((m0, m1), (t0, t1), (e0, e1)) if c[0] >= 0)
    if any(a[1] > b[0] for a, b in pairwise(cuts)):
        return None
    rest, last = "", 0
    for c0, c1 in cuts:
        rest += src[last:c0]
        last = c1
    return rest + src[last:]


def _frames_fast(sources: list[str]) -> bytes | None:
    first = _loads(sources[0])
    shared = {k: first[k] for k in _SHARED if k in first}
    app_value = first.get("faas.name") or first.get("aws.cloudfront.distribution_id")
    if not all(type(v) is str for v in shared.values()) or not (
            app_value is None or type(app_value) is str):
        return None
    n = len(sources)
    heads: list[tuple[str, str, str, str]] = []
    add = heads.append
    rests: list[str] = []
    keep = rests.append
    for src in sources:
        # The JSON content first: a member of it could have any name ("message", ...); it is
        # the one member that is not flat, and no string holds its opening text.
        at = src.find(',"json":{')
        if at >= 0:
            _, end = _raw_decode(src, at + 8)
            src = src[:at] + src[end:]
        t0 = src.find(',"@timestamp":"')
        t1 = src.find('"', t0 + 15) + 1
        e1 = src.find('"', t1 + 13) + 1
        if (t0 > 0 and src.startswith(',"event.id":"', t1)
                and src.startswith(',"message":"', e1)):
            # As documents.build writes them: @timestamp, event.id, message, in a row.
            m1 = src.find('"', e1 + 12)
            if m1 > 0 and src[m1 - 1] == "\\":  # an escaped quote: find the real end
                m1 = _string_end(src, e1 + 12)
            if m1 < 0:
                return None
            m1 += 1
            at = src.find('"log.level":"', m1)
            add((src[at + 13:src.find('"', at + 13)] if at >= 0 else "",
                 src[t0 + 15:t1 - 1], src[t1 + 13:e1 - 1], src[e1 + 12:m1 - 1]))
            rest = src[:t0] + src[m1:]
        else:
            rest = _cut_apart(src, add)
            if rest is None:
                return None
        if _NUMBER_KEY in rest:
            rest = _UNQUOTED.sub(r'":"\1"', rest)
        keep(rest if rest.endswith("\n") else rest + "\n")
    # Each document is one line: a newline never occurs inside JSON text (it is escaped).
    text = "".join(rests)
    # A member appears at most once a document, and never inside a string (its quotes would
    # be escaped): n occurrences mean every document has these same values.
    run = json.dumps(shared, separators=(",", ":"))[1:-1] + ","
    size = len(text)
    text = text.replace(run, "")
    if size - len(text) != n * len(run):
        return None
    if app_value is not None:
        name = "faas.name" if first.get("faas.name") else "aws.cloudfront.distribution_id"
        if text.count(json.dumps({name: app_value}, separators=(",", ":"))[1:-1]) != n:
            return None
    if ',"tags":[' in text:
        text = _TAGS.sub(_tags_text, text)
    # Structure only from here. An escaped quote is not for the replacements below, nor a
    # member whose value is not a string (a number, true, false, null, an object or a list):
    # a '":' left once every '":"' is replaced means there is one.
    if '\\"' in text:
        return None
    text = text.replace("]", "\\]").replace('":"', '="')
    if '":' in text:
        return None
    pieces = text.replace('","', '" ').split("\n")
    if len(pieces) != n + 1:
        return None
    # Every message's JSON string text decoded at once.
    decoded = _loads('["' + '","'.join([h[3] for h in heads]) + '"]')
    host = _token(shared.get("cloud.region", ""), _HOST_MAX)
    app = _token(app_value or "", _APP_NAME_MAX)
    tail = "".join(f' {k}="{_param(shared[k])}"' for k in _EVENT[1:] if k in shared)
    before = f"{host} {app} - - [{SD_EVENT} event.id=\""
    lam = f"][{SD_LAMBDA} "
    pri = _PRI.get
    out = []
    append = out.append
    for (level, stamp, event_id, _), msg, piece in zip(heads, decoded, pieces, strict=False):
        if "\\" in event_id or "]" in event_id:
            return None
        # piece: '{"k="v" k2="v2"}' ('{}' for none)
        body = (f'<{pri(level, _DEFAULT_PRI)}>1 {stamp or "-"} {before}{event_id}"{tail}'
                f'{lam + piece[2:-1] if len(piece) > 2 else ""}] {msg}')
        append(f"{len(body) if body.isascii() else len(body.encode('utf-8', 'surrogatepass'))}"
               f" {body}")
    return "".join(out).encode("utf-8", "surrogatepass")


# The tags list (identifiers) as one comma-separated SD-PARAM, put last as the reference does.
_TAGS = re.compile(r',"tags":\[("[a-z0-9_]+"(?:,"[a-z0-9_]+")*)\]([^\n]*?)(\}\n)')


def _tags_text(m: re.Match[str]) -> str:
    return f'{m[2]},"tags":"{m[1].replace(chr(34), "")}"{m[3]}'


_PRI = {level: FACILITY * 8 + sev for level, sev in _SEVERITY.items()}
_DEFAULT_PRI = FACILITY * 8 + 6


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
