"""Commit subjects of at most 72 characters (git's one-line log, mail subjects), from the
commit that set the rule on. Older commits keep their subjects: history is not rewritten."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The last commit before the rule (issue 22): every commit after it is held to it.
RULE_FROM = "7a267df"


def test_every_new_commit_subject_is_at_most_72_characters() -> None:
    log = subprocess.run(["git", "log", "--no-merges", "--format=%h %s", f"{RULE_FROM}..HEAD"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert log.returncode == 0, f"git log failed (is this a git checkout?): {log.stderr}"
    subjects = [line.split(" ", 1) for line in log.stdout.splitlines()]
    assert subjects, "no commit after the rule's start: the check would see nothing"
    too_long = [f"{h} ({len(s)}): {s}" for h, s in subjects if len(s) > 72]
    assert too_long == []
