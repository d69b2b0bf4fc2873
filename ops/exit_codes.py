"""The exit statuses of every edgelogs command, in one place.

0  the command did its work (and found something, where it looks);
1  it ran and the answer is no: no matching lines (search), an uncovered log group (audit);
2  a usage mistake: a bad flag or value, a missing stack output (the message names the flag);
3  a runtime failure: an unreachable or refusing domain, an AWS error, work left undone;
130 interrupted (Ctrl-C), as shells report SIGINT (128 + 2).
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    NOTHING_FOUND = 1
    USAGE = 2
    RUNTIME = 3
    INTERRUPTED = 130
