"""The README's shard sizing table is the rule the stack applies (contract.index_shards)."""

from __future__ import annotations

import re

import contract

from tests.deploy.harness import REPO

# (expectedDailyGb, primary shards, replicas on one node, replicas on two or more)
EXPECTED = [(1, 1, 0, 1), (30, 1, 0, 1), (31, 2, 0, 1), (100, 4, 0, 1), (1000, 34, 0, 1)]


def _readme_rows() -> list[tuple[int, int, int, int]]:
    text = (REPO / "README.md").read_text()
    table = text.split("| `expectedDailyGb` | primary shards a day |", 1)[1].split("\n\n", 1)[0]
    return [tuple(int(x) for x in m.groups())  # type: ignore[misc]
            for m in re.finditer(r"^\| (\d+) \| (\d+) \| (\d+) / (\d+) \|$", table, re.M)]


def test_the_readme_table_is_written_out_here() -> None:
    assert _readme_rows() == EXPECTED


def test_the_rule_gives_what_the_readme_says() -> None:
    for gb, shards, one_node, two_nodes in EXPECTED:
        assert contract.index_shards(gb) == shards, gb
        assert (contract.index_replicas(1), contract.index_replicas(2)) == (one_node, two_nodes)
