"""The index templates the forwarder installs: settings from the volume, the lean mapping."""

from __future__ import annotations

from forwarder import template
from forwarder.settings import Settings


def test_log_indices_get_the_shards_and_replicas_asked_for() -> None:
    bodies = template.templates("edge", shards=4, replicas=1)
    assert bodies["edge"]["index_patterns"] == ["edge-*"]
    assert bodies["edge"]["template"]["settings"] == {
        "index.number_of_shards": 4,
        "index.number_of_replicas": 1,
        "index.codec": "best_compression",
        "index.refresh_interval": "5s",
    }
    # The errors indices stay small: one shard, the same replicas.
    assert bodies["edge-errors"]["template"]["settings"] == {
        "index.number_of_shards": 1,
        "index.number_of_replicas": 1,
        "index.refresh_interval": "5s",
    }


def test_one_node_domain_by_default() -> None:
    settings = template.templates("edge")["edge"]["template"]["settings"]
    assert (settings["index.number_of_shards"], settings["index.number_of_replicas"]) == (1, 0)


def test_the_forwarder_reads_shards_and_replicas_from_its_environment() -> None:
    env = {"OPENSEARCH_ENDPOINT": "http://127.0.0.1:9200", "AWS_REGION": "eu-west-1",
           "INDEX_SHARDS": "34", "INDEX_REPLICAS": "1"}
    s = Settings.from_env(env)
    assert (s.index_shards, s.index_replicas) == (34, 1)


def test_constants_are_kept_but_not_indexed_and_event_id_only_sorts() -> None:
    props = template.templates("edge")["edge"]["template"]["mappings"]["properties"]
    assert "provider" not in props["cloud"]["properties"]
    assert "account" not in props["cloud"]["properties"]
    assert props["event"]["properties"]["id"] == {"type": "keyword", "ignore_above": 1024,
                                                  "index": False}
    assert props["event"]["properties"]["ingested"]["index"] is False
    # Dashboards' types: keywords, dates and numbers stay what they were.
    assert props["cloud"]["properties"]["region"]["type"] == "keyword"
    assert props["@timestamp"]["type"] == "date"
    assert props["aws"]["properties"]["lambda"]["properties"]["duration_ms"]["type"] == "double"
    assert props["message"] == {"type": "text"}
