"""The destinations besides the domain (``DESTINATIONS``), behind one interface.

The handler builds every document once (documents.build: after redaction and exclusion,
which apply before anything is stored or sent) and hands the same ``Documents`` to every
destination: the domain's bulk path (bulk.py) and each shipper made here (http_shipper.py,
syslog_shipper.py). A shipper sends all of them, retrying through the forwarder's one retry
policy (retry.py), and answers with a ``Delivered``: what it could not deliver and why. One
destination's failure never stops another's; the handler fails the invocation afterwards,
naming the destinations that failed (Lambda's retry, then the failure queue; replay sends
again to the destinations the failure names).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import contract

from forwarder.errors import SettingsError
from forwarder.retry import RetryPolicy

_esc = json.encoder.encode_basestring_ascii
_ID_KEY = '"event.id":'
_MESSAGE_KEY = '"message":'
_ACCOUNT_KEY = '"cloud.account.id":'
_GROUP_KEY = '"log.group":'


@dataclass(slots=True)
class Documents:
    """The JSON documents of one batch, one ASCII line each (``\\n``-terminated), exactly as
    the domain receives them, each carrying its event's id."""

    sources: list[str]

    @classmethod
    def from_bulk(cls, lines: Sequence[str], events: Sequence[Any],
                  account: str | None = None) -> Documents:
        """From the bulk entries (action line + source line) and their events.

        The domain's documents leave out what its ``_id`` and its stack already say (issue
        21: each member costs the node on every document); a receiver has neither, so
        every document gets back its event's id (when it has no ``event.id`` before its
        message) and, given the ``account``, ``cloud.account.id``: two accounts' stacks
        may name the same log groups and send to one receiver. Both go where
        documents.build used to write them (account before log.group, event.id between
        @timestamp and message): the syslog shipper's fast road reads that layout. A key's
        text cannot occur inside an escaped JSON string, so the first one found before the
        message is the member.
        """
        acc = "" if account is None else _ACCOUNT_KEY + _esc(account) + ","
        sources: list[str] = []
        add = sources.append
        # Where the last source had its message and log.group: a batch's documents share
        # their head (documents.build), so one find serves them all, checked per document.
        m = g = -1
        for line, event in zip(lines, events, strict=True):
            s = line.index("\n") + 1
            at = s + m
            if m < 0 or not line.startswith(_MESSAGE_KEY, at):
                at = line.find(_MESSAGE_KEY, s)
                at = at if at > s else s + 1  # no message: first, after the brace
                m = at - s
            id_member = ("" if line.find(_ID_KEY, s, at) >= 0
                         else _ID_KEY + _esc(event_id(event, line)) + ",")
            if acc and line.find(_ACCOUNT_KEY, s, at) < 0:
                gat = s + g
                if g < 0 or not line.startswith(_GROUP_KEY, gat):
                    gat = line.find(_GROUP_KEY, s, at)
                    gat = gat if gat > s else s + 1
                    g = gat - s
                add(f"{line[s:gat]}{acc}{line[gat:at]}{id_member}{line[at:]}")
            elif id_member:
                add(f"{line[s:at]}{id_member}{line[at:]}")
            else:
                add(line[s:])
        return cls(sources)


def event_id(event: Any, line: str) -> str:
    """CloudWatch's id of the event; for an event without one, the domain's _id of its
    document (deterministic: the same line sent again has the same one)."""
    found = event.get("id") if type(event) is dict else None
    if type(found) is str and found:
        return found
    return json.loads(line[: line.index("\n")])["create"]["_id"]


@dataclass
class Delivered:
    """What one destination did with one batch."""

    name: str
    sent: int = 0  # documents the receiver is known to have taken
    undelivered: int = 0
    attempts: int = 0
    bytes_sent: int = 0
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Shipper(Protocol):
    name: str

    def ship(self, docs: Documents, policy: RetryPolicy) -> Delivered: ...


# Reads one secret's string by ARN (Secrets Manager GetSecretValue's SecretString).
SecretReader = Callable[[str], str]


def parse(raw: str | None) -> tuple[dict[str, Any], ...]:
    """``DESTINATIONS``: a JSON list of http and syslog entries (contract.py), each checked
    by the rule the stack applies at preview; defaults filled in."""
    if raw is None or not raw.strip():
        return ()
    name = contract.ENV_DESTINATIONS
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} is not JSON: {exc}") from None
    if not isinstance(value, list):
        raise SettingsError(f"{name} must be a JSON list of destinations, got {raw[:80]!r}")
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(value):
        problems = contract.destination_problems(entry)
        if problems:
            field, message = problems[0]
            raise SettingsError(f"{name}[{i}]{'.' + field if field else ''} {message}")
        if entry["type"] == contract.DEST_OPENSEARCH:
            raise SettingsError(f"{name}[{i}]: the domain is given by "
                                f"{contract.ENV_ENDPOINT}, not in {name}")
        entry = dict(entry)
        if entry["type"] == contract.DEST_HTTP:
            entry.setdefault("format", contract.DEFAULT_HTTP_FORMAT)
        else:
            entry.setdefault("tls", contract.DEFAULT_SYSLOG_TLS)
        out.append(entry)
    return tuple(out)


def name_of(entry: Mapping[str, Any]) -> str:
    """How logs and failures name a destination: never a URL's query (it may hold a token)."""
    if entry["type"] == contract.DEST_HTTP:
        parts = urlsplit(entry["url"])
        return f"http:{parts.scheme}://{parts.netloc}{parts.path}"
    if entry["type"] == contract.DEST_SYSLOG:
        return f"syslog:{entry['host']}:{entry['port']}"
    return contract.DEST_OPENSEARCH


def read_secret(arn: str) -> str:
    """The secret's string from Secrets Manager, in the secret's own region (its ARN names
    it), with the function role's credentials (botocore ships in the Lambda runtime)."""
    import botocore.session  # imported only where it is used, like client.py

    region = arn.split(":")[3]
    client = botocore.session.get_session().create_client("secretsmanager",
                                                          region_name=region)
    answer = client.get_secret_value(SecretId=arn)
    secret = answer.get("SecretString")
    if not isinstance(secret, str):
        raise SettingsError(f"headersSecret {arn} has no SecretString (a JSON object of "
                            "headers is expected)")
    return secret


def headers_from_secret(arn: str, text: str) -> dict[str, str]:
    """A header secret's value: a JSON object of header names to string values."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        # Never the value itself in the message: it is a secret.
        raise SettingsError(f"headersSecret {arn} must hold a JSON object of header names "
                            "to string values")
    return value


def make_shippers(entries: Sequence[Mapping[str, Any]], region: str,
                  request_timeout_s: float, max_bytes: int,
                  secrets: SecretReader = read_secret) -> list[Shipper]:
    """One shipper per destination, made once per container: header secrets are read here
    (cold start), never from the environment."""
    from forwarder.http_shipper import HttpShipper
    from forwarder.syslog_shipper import SyslogShipper

    shippers: list[Shipper] = []
    for entry in entries:
        if entry["type"] == contract.DEST_HTTP:
            arn = entry.get("headersSecret")
            headers = headers_from_secret(arn, secrets(arn)) if arn else {}
            shippers.append(HttpShipper(name_of(entry), entry["url"], headers,
                                        request_timeout_s, max_bytes))
        elif entry["type"] == contract.DEST_SYSLOG:
            shippers.append(SyslogShipper(name_of(entry), entry["host"], entry["port"],
                                          entry["tls"], request_timeout_s))
    return shippers
