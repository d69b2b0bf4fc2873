"""The forwarder's exceptions, in one place so callers (handler, replay tool) can catch them."""

from __future__ import annotations


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

    def __init__(self, undelivered: int, reason: str) -> None:
        super().__init__(f"{undelivered} event(s) not stored: {reason}")
        self.undelivered = undelivered
        self.reason = reason
