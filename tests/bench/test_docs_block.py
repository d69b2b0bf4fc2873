"""bench/docs_block.py: a bench's --write-docs rewrites its blocks of docs/performance.md."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import docs_block

ROOT = Path(__file__).resolve().parents[2]
WHEN = datetime(2026, 12, 4, 19, 5, tzinfo=UTC)

PAGE = """# Performance

Prose before.

<!-- generated: deploy -->
old figures
<!-- end generated: deploy -->

Prose after, quoting 3.94 s.
"""


def test_a_block_gets_the_printed_lines_and_the_prose_stays(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_block, "machine", lambda: "2 CPU(s), x86_64, Python 3.11.7")
    text = docs_block.replace_block(PAGE, "deploy", "python bench/deploy_bench.py",
                                    ["a  1  ", "b 2"], WHEN)
    assert text == """# Performance

Prose before.

<!-- generated: deploy -->
`python bench/deploy_bench.py`, 2026-12-04 19:05 UTC, 2 CPU(s), x86_64, Python 3.11.7:

```
a  1
b 2
```
<!-- end generated: deploy -->

Prose after, quoting 3.94 s.
"""
    # Writing again replaces the block, not adds one.
    again = docs_block.replace_block(text, "deploy", "cmd", ["c"], WHEN)
    assert again.count("<!-- generated: deploy -->") == 1 and "a  1" not in again


@pytest.mark.parametrize("page", [PAGE.replace("deploy", "other"),
                                  PAGE + "\n<!-- generated: deploy -->\nx\n"
                                         "<!-- end generated: deploy -->\n"])
def test_a_missing_or_doubled_block_is_refused(page: str) -> None:
    with pytest.raises(ValueError, match="needs exactly one <!-- generated: deploy -->"):
        docs_block.replace_block(page, "deploy", "cmd", ["x"], WHEN)


def test_write_changes_nothing_unless_every_block_is_there(tmp_path: Path) -> None:
    page = tmp_path / "performance.md"
    page.write_text(PAGE)
    with pytest.raises(ValueError):
        docs_block.write({"deploy": ["new"], "forwarder": ["new"]}, "cmd", page)
    assert page.read_text() == PAGE
    docs_block.write({"deploy": ["new"]}, "cmd", page)
    assert "\n```\nnew\n```\n" in page.read_text()


def test_printed_lines_are_kept_and_still_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with docs_block.printed() as lines:
        print("one")
        print('{"msg": "edgelogs forwarder invocation", "events_in": 500}')  # a log, no figure
        sys.stdout.write("two, ")
        sys.stdout.write("still two\nthree")
    assert lines == ["one", "two, still two", "three"]
    assert capsys.readouterr().out == ('one\n{"msg": "edgelogs forwarder invocation", '
                                       '"events_in": 500}\ntwo, still two\nthree')


def test_the_docs_hold_the_blocks_the_benches_write() -> None:
    text = (ROOT / "docs" / "performance.md").read_text()
    names = re.findall(r"<!-- generated: (\w+) -->", text)
    assert sorted(names) == ["concurrency", "deploy", "forwarder", "load", "mapping"]
    assert sorted(re.findall(r"<!-- end generated: (\w+) -->", text)) == sorted(names)
    forwarder = (ROOT / "bench" / "forwarder_bench.py").read_text()
    deploy = (ROOT / "bench" / "deploy_bench.py").read_text()
    mapping = (ROOT / "bench" / "mapping_bench.py").read_text()
    assert 'blocks["forwarder"]' in forwarder and 'blocks["concurrency"]' in forwarder
    assert 'docs_block.write({"deploy": lines}' in deploy
    assert 'docs_block.write({"mapping": lines}' in mapping
    load = (ROOT / "bench" / "load_bench.py").read_text()
    assert 'docs_block.write({"load": lines}' in load
