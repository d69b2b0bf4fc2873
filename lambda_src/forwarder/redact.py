"""Redaction and exclusion: what the forwarder rewrites or drops before anything is written.

The rules come from ``edgelogs:redact`` / ``edgelogs:exclude`` (contract.ENV_REDACT /
ENV_EXCLUDE). ``Redactor.text`` applies every rule, in the configured order, to one string;
``Redactor.event`` does it for one log line after its fields were parsed from the raw line
(lines.fields), so the request id, level and REPORT numbers come from what Lambda wrote.

Cost: the forwarder builds 10,000 documents in a few tens of milliseconds, and a regular
expression scanning every line would more than double that. Each built-in therefore has a
hint, a test that runs at C speed (``in``, or a regex that starts with a literal character,
which ``re`` finds with a fast scan) and that every match must pass. The hints are looked
for once in the whole batch (``Redactor.candidates``); a line none of them fits is left as it
is without running any pattern; on a line with hints only the rules they stand for run, each
searched from a few characters before its hint (``back``: how far before its hint a match can
start), so a false hint costs one short search. User patterns have no hint: they run on
every line.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import add, itemgetter
from typing import Any

import contract

from forwarder import lines

_encode = lines.encode
_message = itemgetter("message")


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


@dataclass(frozen=True)
class HintSpec:
    """Every match of a built-in holds one of ``needles`` or a match of ``regex`` (which
    starts with a literal character), at most ``back`` characters after the match's start
    (tests/forwarder/test_redact.py checks the hinted search against the plain one)."""

    needles: tuple[str, ...] = ()
    regex: str | None = None
    back: int = 0

    def binder(self) -> Callable[[str], Callable[[int], int]]:
        """Hints in one text, asked for with growing starts (Rule.apply): each needle or
        regex is searched again only once the start has passed where it was last found,
        and never again once it was not found, so a text costs one pass per hint however
        many matches it holds."""
        needles = self.needles
        search = re.compile(self.regex).search if self.regex else None
        keys: tuple[str | None, ...] = (*needles, None) if search else needles

        def bind(text: str) -> Callable[[int], int]:
            known = [-2] * len(keys)  # -2: not searched yet; -1: no more

            def at(start: int) -> int:
                best = -1
                for k, key in enumerate(keys):
                    p = known[k]
                    if p == -1:
                        continue
                    if p < start:
                        if key is None:
                            m = search(text, start)  # type: ignore[misc]
                            p = m.start() if m is not None else -1
                        else:
                            p = text.find(key, start)
                        known[k] = p
                        if p < 0:
                            continue
                    if best < 0 or p < best:
                        best = p
                return best
            return at
        return bind

    def finder(self) -> Hint:
        needles = self.needles
        search = re.compile(self.regex).search if self.regex else None
        if search is None and len(needles) == 1:
            needle = needles[0]
            return lambda text, start: text.find(needle, start)

        def hint(text: str, start: int) -> int:
            best = -1
            for needle in needles:
                i = text.find(needle, start)
                if i >= 0 and (best < 0 or i < best):
                    best = i
            if search is not None:
                m = search(text, start)
                if m is not None and (best < 0 or m.start() < best):
                    best = m.start()
            return best
        return hint


_HINTS: dict[str, HintSpec] = {
    # The middle ".b.c." of a.b.c.d; a is at most 3 digits.
    "ipv4": HintSpec(regex=r"\.[0-9]{1,3}\.[0-9]{1,3}\.", back=3),
    # Every IPv6 text form holds "::" or (eight groups) ":h:h:h:"; the longest text before
    # either is one group (":h:h:h:" starts at the first colon) or seven groups and 6 colons
    # before "::" (34 characters).
    "ipv6": HintSpec(regex=r":(?::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:)",
                     back=40),
    # A local part has no length limit here (longer ones than RFC 5321's 64 exist in logs):
    # searched from the end of the last match.
    "email": HintSpec(("@",), back=1 << 30),
    # "Bearer" is found by its "earer"; a JWT by its "eyJ".
    "bearer": HintSpec(("earer", "EARER", "eyJ"), back=1),
}


@dataclass(frozen=True)
class Rule:
    name: str  # a built-in's name, or the pattern
    regex: re.Pattern[str]
    replacement: str
    hint: Hint | None = None
    back: int = 0
    luhn: bool = False
    bind: Callable[[str], Callable[[int], int]] | None = None  # HintSpec.binder

    def apply(self, text: str) -> str:
        if self.hint is None:
            if self.luhn:
                return self.regex.sub(self._card, text)
            return self.regex.sub(self.replacement, text)
        # One needle or regex: asked again from each match's end (absent: the loop ends).
        # Several: a binder, so that an absent one is not searched again after each match.
        hint = self.hint
        bound = self.bind(text) if self.bind is not None else None
        at = bound(0) if bound is not None else hint(text, 0)
        if at < 0:
            return text
        out: list[str] = []
        last = 0
        search = self.regex.search
        literal = "\\" not in self.replacement
        while True:
            # Searched in the whole text from a little before the hint, so that lookbehinds
            # see the real characters before a match.
            m = search(text, max(last, at - self.back))
            if m is None:
                break
            out.append(text[last:m.start()])
            # A literal replacement is appended as is (expand() parses it every time).
            out.append(self.replacement if literal else m.expand(self.replacement))
            last = m.end()
            at = bound(last) if bound is not None else hint(text, last)
            if at < 0:
                break
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _card(self, m: re.Match[str]) -> str:
        return self.replacement if luhn_ok(m.group(0)) else m.group(0)


def builtin(name: str) -> Rule:
    spec = _HINTS.get(name)
    return Rule(name, re.compile(contract.BUILTIN_PATTERNS[name]),
                contract.BUILTIN_REPLACEMENTS[name], spec.finder() if spec else None,
                spec.back if spec else 0, luhn=name == "card",
                bind=spec.binder() if spec and len(spec.needles) + bool(spec.regex) > 1
                else None)


class Redactor:
    """Every redact rule, in order. Built with ``from_config`` (values checked there)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self.all = (1 << len(self.rules)) - 1  # a mask naming every rule
        # Bit len(rules) of a mask: the line holds a backslash (see event()).
        self.escaped = 1 << len(self.rules)
        self._by_mask: dict[int, tuple[Rule, ...]] = {}
        self.hinted = all(r.hint is not None for r in self.rules)
        # (hint, mask) for candidates(): each needle or regex with the rules it stands for.
        needles: dict[str, int] = {"\\": self.escaped}
        regexes: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            spec = _HINTS.get(rule.name) if rule.hint is not None else None
            if spec is None:
                continue
            for needle in spec.needles:
                needles[needle] = needles.get(needle, 0) | 1 << i
            if spec.regex:
                regexes[spec.regex] = regexes.get(spec.regex, 0) | 1 << i
        self._needles = tuple(needles.items())
        self._searches = tuple((re.compile(r).search, mask) for r, mask in regexes.items())
        self._finditers = tuple((re.compile(r).finditer, mask) for r, mask in regexes.items())

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

    def mask(self, text: str) -> int:
        """The rules whose hints ``text`` holds (and the backslash bit); every rule's bit for
        a rule without a hint. 0: no rule can change ``text``."""
        if not self.hinted:
            return self.all | self.escaped
        found = 0
        for needle, bits in self._needles:
            if needle in text:
                found |= bits
        for search, bits in self._searches:
            if search(text) is not None:
                found |= bits
        return found

    def event(self, message: str, members: str, tags: list[str] | None,
              mask: int | None = None) -> tuple[str, str, list[str] | None]:
        """(message, members, tags) of one line, redacted. ``members`` are the document
        members parsed from the raw line (lines.fields): every string in them comes from
        the line, and is redacted too; numbers are kept. ``mask``: ``self.mask(message)``
        if already known.

        A built-in changes a text only where its hint is, and its replacement holds no
        hint, so only the rules whose hints the raw message holds need to run on it. Every
        string in ``members`` is a piece of the message, unless a JSON escape hides a
        character (\\u0040 is "@"): without a backslash only those rules can change them,
        and only if their hints are in the members' own text; with one, every rule runs
        on every string.
        """
        if mask is None:
            mask = self.mask(message)
        if not mask:
            return message, members, tags
        rules = self._rules(mask & self.all)
        for rule in rules:
            message = rule.apply(message)
        if not members:
            return message, members, tags
        if not mask & self.escaped or "\\" not in members:
            if not self.hinted:
                pass
            else:
                for rule in rules:
                    if rule.hint(members, 0) >= 0:  # type: ignore[misc]
                        break
                else:
                    return message, members, tags
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

    def _rules(self, mask: int) -> tuple[Rule, ...]:
        rules = self._by_mask.get(mask)
        if rules is None:
            rules = self._by_mask[mask] = tuple(
                r for i, r in enumerate(self.rules) if mask >> i & 1)
        return rules

    def candidates(self, events: list[Any]) -> dict[int, int] | None:
        """``id(event)`` -> ``mask`` of every event whose line a rule might change (None:
        every event might; the others need no work).

        The hints are searched once in all the batch's messages joined by NUL, which no hint
        holds, so that none spans two messages: one C-speed scan per hint instead of a
        Python call per hint and line, which is most of redaction's cost on the lines it
        leaves alone.
        """
        if not self.hinted:
            return None
        try:
            messages = list(map(_message, events))
            text = "\0".join(messages)
        except (KeyError, TypeError, IndexError):
            # An event that is not an object or whose message is not a string: each alone.
            return {id(e): self.all | self.escaped for e in events
                    if type(e) is not dict or type(e.get("message")) is not str
                    or self.mask(e["message"])}
        # Where each message ends in text (its separator): lengths so far, plus one NUL each.
        ends = list(map(add, accumulate(map(len, messages)), range(len(messages))))
        found: dict[int, int] = {}
        get = found.get
        for needle, bits in self._needles:
            at = text.find(needle)
            while at >= 0:
                i = bisect_right(ends, at)
                key = id(events[i])
                found[key] = get(key, 0) | bits
                at = text.find(needle, ends[i])
        for finditer, bits in self._finditers:
            last = -1
            for m in finditer(text):  # C iteration; a line's second hint costs one compare
                at = m.start()
                if at < last:
                    continue
                i = bisect_right(ends, at)
                last = ends[i]
                key = id(events[i])
                found[key] = get(key, 0) | bits
        return found


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

