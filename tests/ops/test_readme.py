"""The README: for users, at most 400 lines, and what it says runs or resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _slug(heading: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def test_it_is_at_most_400_lines() -> None:
    assert len(README.splitlines()) <= 400


def test_it_keeps_the_sections_users_look_for() -> None:
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    for wanted in ("How the data flows", "See it work on one machine first", "Deploy",
                   "Configuration", "Operating it", "What it costs", "Test"):
        assert wanted in headings, wanted


def test_see_it_work_has_the_venv_step() -> None:
    first = _code_blocks(README.split("## See it work on one machine first", 1)[1])[0]
    assert first.splitlines() == [
        "scripts/demo",
        ". .venv/bin/activate",
        'edgelogs search --endpoint "$(edgelogs demo --url)" --since 2h --level ERROR',
    ]


def test_every_link_resolves() -> None:
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", README, re.MULTILINE)}
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    assert links
    for link in links:
        if link.startswith("https://"):
            continue
        path, _, anchor = link.partition("#")
        if not path:
            assert anchor in anchors, link
            continue
        target = ROOT / path
        assert target.is_file(), link
        if anchor:
            headings = re.findall(r"^#+ (.+)$", target.read_text(), re.MULTILINE)
            assert anchor in {_slug(h) for h in headings}, link


def test_every_edgelogs_command_it_shows_exists_and_each_is_shown() -> None:
    from ops.cli import COMMANDS

    shown = set()
    for block in _code_blocks(README):
        for line in block.splitlines():
            command = line.removeprefix("$ ").split(" # ")[0]  # not the comments
            shown |= set(re.findall(r"(?:^|\$\(|\s)edgelogs (\w+)", command))
    table = set(re.findall(r"^\| `edgelogs (\w+)` \|", README, re.MULTILINE))
    assert shown <= set(COMMANDS), shown - set(COMMANDS)
    assert table == {"search", "replay", "backfill", "audit", "demo", "node", "bundle"}
