"""The forwarder's exceptions, in one place so callers (handler, replay tool) can catch them."""

from __future__ import annotations

import json


class ForwarderError(Exception):
    """Base class of everything the forwarder raises on purpose."""


class SettingsError(ForwarderError, ValueError):
    """An environment variable is missing or invalid; the message names it."""


class DecodeError(ForwarderError):
    """The subscription payload cannot be decoded into log events.

    ``reason`` is a short sentence naming what is wrong (not base64, not gzip, ...).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeliveryError(ForwarderError):
    """Some events are still not stored when the invocation has to give up.

    Raised so that Lambda's asynchronous retry and the failure destination take over;
    because every document has a deterministic ``_id``, a retry never stores twice.
    """

    def __init__(self, undelivered: int, reason: str,
                 destinations: tuple[str, ...] = ()) -> None:
        # The failed destinations close the message in a fixed form, FAILED_MARK + a JSON
        # list: Lambda copies the message into the failure record, where replay reads it.
        named = f" {FAILED_MARK}{json.dumps(list(destinations))}" if destinations else ""
        super().__init__(f"{undelivered} event(s) not stored: {reason}{named}")
        self.undelivered = undelivered
        self.reason = reason
        self.destinations = destinations


FAILED_MARK = "failed destinations: "


def failed_destinations(message: str) -> list[str] | None:
    """The destinations a DeliveryError's message names, or None if it names none."""
    at = message.rfind(FAILED_MARK)
    if at < 0:
        return None
    try:
        names = json.loads(message[at + len(FAILED_MARK):])
    except ValueError:
        return None
    return names if isinstance(names, list) and all(isinstance(n, str) for n in names) else None
