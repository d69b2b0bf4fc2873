"""Redaction and exclusion: what the forwarder rewrites or drops before anything is written.

The rules come from ``edgelogs:redact`` / ``edgelogs:exclude`` (contract.ENV_REDACT /
ENV_EXCLUDE). ``Redactor.text`` applies every rule, in the configured order, to one string;
``Redactor.event`` does it for one log line after its fields were parsed from the raw line
(lines.fields), so the request id, level and REPORT numbers come from what Lambda wrote.

Cost: the forwarder builds 10,000 documents in a few tens of milliseconds, and a regular
expression scanning every line would more than double that. Each built-in therefore has a
hint, a test that runs at C speed (``in``, or a regex that starts with a literal character,
which ``re`` finds with a fast scan) and that every match must pass. A line none of the hints
fits is left as it is without running any pattern; where a hint fits, the pattern is searched
only from a few characters before the hint (``back``: how far before its hint a match can
start), so a false hint costs one short search. User patterns have no hint: they run on
every line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import contract

from forwarder import lines

_encode = lines.encode


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a card number (spaces and dashes ignored)."""
    total = 0
    for i, ch in enumerate(reversed(digits.replace(" ", "").replace("-", ""))):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


Hint = Callable[[str, int], int]  # (text, from) -> where a match may be, or -1


def _regex_hint(pattern: str) -> Hint:
    search = re.compile(pattern).search

    def hint(text: str, start: int) -> int:
        m = search(text, start)
        return -1 if m is None else m.start()
    return hint


def _ipv6_hint(text: str, start: int) -> int:
    # Every IPv6 text form holds "::" or (eight groups) ":h:h:h:".
    a = text.find("::", start)
    b = _V6_GROUPS(text, start)
    if b is not None and (a < 0 or b.start() < a):
        return b.start()
    return a


_V6_GROUPS = re.compile(r":[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:").search


def _any_of(*needles: str) -> Hint:
    def hint(text: str, start: int) -> int:
        found = [i for i in (text.find(n, start) for n in needles) if i >= 0]
        return min(found) if found else -1
    return hint


# name -> (hint, back). Every match of the built-in holds its hint, at most `back` characters
# after the match's start (tests/forwarder/test_redact.py checks it on every example).
_HINTS: dict[str, tuple[Hint, int]] = {
    # The middle ".b.c." of a.b.c.d; a is at most 3 digits.
    "ipv4": (_regex_hint(r"\.[0-9]{1,3}\.[0-9]{1,3}\."), 3),
    # The longest text before "::" or ":h:h:h:" is seven groups, 35 characters (plus ":").
    "ipv6": (_ipv6_hint, 40),
    "email": (_any_of("@"), 64),
    # "Bearer" is found by its "earer"; a JWT by its "eyJ".
    "bearer": (_any_of("earer", "EARER", "eyJ"), 1),
}


@dataclass(frozen=True)
class Rule:
    name: str  # a built-in's name, or the pattern
    regex: re.Pattern[str]
    replacement: str
    hint: Hint | None = None
    back: int = 0
    luhn: bool = False

    def apply(self, text: str) -> str:
        if self.hint is None:
            if self.luhn:
                return self.regex.sub(self._card, text)
            return self.regex.sub(self.replacement, text)
        at = self.hint(text, 0)
        if at < 0:
            return text
        out: list[str] = []
        last = 0
        search = self.regex.search
        while True:
            # Searched in the whole text from a little before the hint, so that lookbehinds
            # see the real characters before a match.
            m = search(text, max(last, at - self.back))
            if m is None:
                break
            out.append(text[last:m.start()])
            out.append(m.expand(self.replacement))
            last = m.end()
            at = self.hint(text, last)
            if at < 0:
                break
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _card(self, m: re.Match[str]) -> str:
        return self.replacement if luhn_ok(m.group(0)) else m.group(0)


def builtin(name: str) -> Rule:
    hint, back = _HINTS.get(name, (None, 0))
    return Rule(name, re.compile(contract.BUILTIN_PATTERNS[name]),
                contract.BUILTIN_REPLACEMENTS[name], hint, back, luhn=name == "card")


class Redactor:
    """Every redact rule, in order. Built with ``from_config`` (values checked there)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        # When every rule has a hint, a line no hint fits needs no work at all.
        self._hints = (tuple(r.hint for r in self.rules)
                       if all(r.hint is not None for r in self.rules) else None)

    @classmethod
    def from_config(cls, entries: Sequence[Any]) -> Redactor:
        rules = []
        for entry in entries:
            if isinstance(entry, str):
                rules.append(builtin(entry))
            else:
                rules.append(Rule(entry["pattern"], re.compile(entry["pattern"]),
                                  entry.get("replacement", contract.REDACTED)))
        return cls(rules)

    def text(self, text: str) -> str:
        for rule in self.rules:
            text = rule.apply(text)
        return text

    def value(self, value: Any) -> Any:
        """``value`` with every string in it redacted: JSON values and keys, at any depth."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.value(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def might_change(self, text: str) -> bool:
        hints = self._hints
        if hints is None:
            return True
        for hint in hints:  # noqa: SIM110 - a plain loop: any() and a generator cost more
            if hint(text, 0) >= 0:  # type: ignore[misc]
                return True
        return False

    def event(self, message: str, members: str,
              tags: list[str] | None) -> tuple[str, str, list[str] | None]:
        """(message, members, tags) of one line, redacted. ``members`` are the document
        members parsed from the raw line (lines.fields): every string in them comes from
        the line, and is redacted too; numbers are kept.

        A JSON string in the line may hide a character behind an escape (\\u0040 is "@"),
        so a line with a backslash is always redacted member by member.
        """
        if "\\" not in message and not self.might_change(message):
            return message, members, tags
        message = self.text(message)
        if members:
            parsed = json.loads("{" + members[1:] + "}")
            redacted = self.value(parsed)
            if redacted != parsed:
                try:
                    members = "," + _encode(redacted)[1:-1]
                except (ValueError, RecursionError):
                    # A number JSON cannot write back (1e999): keep the redacted message,
                    # drop the copy rather than write anything unredacted.
                    redacted.pop("json", None)
                    members = "," + _encode(redacted)[1:-1] if redacted else ""
                    tags = (tags or []) + [lines.UNENCODABLE_TAG]
        return message, members, tags


class Excluder:
    """``exclude``: drops a line whose message one of the patterns finds (re.search)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple((re.compile(p).search, contract.names_platform_lines(p))
                              for p in patterns)

    def drops(self, message: str) -> bool:
        kind: str | bool | None = False  # False: not looked at yet
        for search, named in self.patterns:
            if search(message) is None:
                continue
            if kind is False:
                kind = platform_line(message)
            if kind is None or kind in named:
                return True
        return False


def platform_line(message: str) -> str | None:
    """START, END or REPORT for Lambda's own lines (text, or JSON-format records)."""
    for kind in contract.PLATFORM_LINES:
        if message.startswith(kind + " RequestId:"):
            return kind
    if message.startswith("{"):
        try:
            obj = json.loads(message)
        except ValueError:
            return None
        if isinstance(obj, dict) and isinstance(obj.get("type"), str):
            return contract.PLATFORM_RECORDS.get(obj["type"])
    return None

