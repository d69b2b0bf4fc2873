"""Commit subjects of at most 72 characters (git's one-line log, mail subjects), from the
commit that set the rule on. Older commits keep their subjects: history is not rewritten."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The last commit before the rule (issue 22): every commit after it is held to it.
RULE_FROM = "7a267df"


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def _range() -> list[str]:
    """The commits held to the rule: after RULE_FROM, or, in a shallow clone that lacks it,
    every commit the clone has (at least HEAD itself, merge or not)."""
    if _git("cat-file", "-e", f"{RULE_FROM}^{{commit}}").returncode == 0:
        return ["--no-merges", f"{RULE_FROM}..HEAD"]
    return ["HEAD"]


def test_every_new_commit_subject_is_at_most_72_characters() -> None:
    log = _git("log", "--format=%h %s", *_range())
    assert log.returncode == 0, f"git log failed (is this a git checkout?): {log.stderr}"
    subjects = [line.split(" ", 1) for line in log.stdout.splitlines()]
    assert subjects, "no commit after the rule's start: the check would see nothing"
    too_long = [f"{h} ({len(s)}): {s}" for h, s in subjects if len(s) > 72]
    assert too_long == []
