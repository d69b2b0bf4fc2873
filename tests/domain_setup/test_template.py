"""The index templates the domain setup installs: settings from the volume, the lean mapping."""

from __future__ import annotations

import pytest
from domain_setup import handler, template
from domain_setup.http import SetupError


def test_log_indices_get_the_shards_and_replicas_asked_for() -> None:
    bodies = template.templates("edge", shards=4, replicas=1)
    assert bodies["edge"]["index_patterns"] == ["edge-*"]
    settings = bodies["edge"]["template"]["settings"]
    assert settings.pop("index.analysis")["analyzer"]["edgelogs_message"]["tokenizer"] == (
        "standard")
    assert settings == {
        "index.number_of_shards": 4,
        "index.number_of_replicas": 1,
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


SETUP_INPUT = {"endpoint": "https://search-x.eu-west-1.es.amazonaws.com", "region": "eu-west-1",
               "indexPrefix": "edge", "indexRetentionDays": 14}


def test_the_setup_reads_shards_and_replicas_from_its_input() -> None:
    _, _, desired = handler.parse({**SETUP_INPUT, "indexShards": 34, "indexReplicas": 1})
    assert (desired.shards, desired.replicas) == (34, 1)
    _, _, default = handler.parse(SETUP_INPUT)
    assert (default.shards, default.replicas) == (1, 0)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("indexShards", 0, "input key 'indexShards' must be an integer from 1 to 1024"),
    ("indexShards", 1025, "input key 'indexShards' must be an integer from 1 to 1024"),
    ("indexReplicas", 2, "input key 'indexReplicas' must be an integer from 0 to 1"),
    ("indexReplicas", True, "input key 'indexReplicas' must be an integer from 0 to 1"),
])
def test_the_setup_refuses_sizes_out_of_range(key: str, value: object, message: str) -> None:
    with pytest.raises(SetupError, match=f"^{message}$"):
        handler.parse({**SETUP_INPUT, key: value})


def test_constants_and_the_id_copy_are_not_mapped_ids_keep_no_doc_values() -> None:
    props = template.templates("edge")["edge"]["template"]["mappings"]["properties"]
    assert "provider" not in props["cloud"]["properties"]
    assert "account" not in props["cloud"]["properties"]
    assert set(props["event"]["properties"]) == {"ingested"}
    assert props["event"]["properties"]["ingested"]["index"] is False
    no_doc_values = {"type": "keyword", "ignore_above": 1024, "doc_values": False}
    assert props["aws"]["properties"]["lambda"]["properties"]["request_id"] == no_doc_values
    assert props["aws"]["properties"]["xray"]["properties"]["segment_id"] == no_doc_values
    assert props["trace"]["properties"]["id"] == no_doc_values
    assert props["log"]["properties"]["stream"] == {"type": "keyword", "ignore_above": 1024}
    # Dashboards' types: keywords, dates and numbers stay what they were.
    assert props["cloud"]["properties"]["region"]["type"] == "keyword"
    assert props["@timestamp"]["type"] == "date"
    assert props["aws"]["properties"]["lambda"]["properties"]["duration_ms"]["type"] == "double"
    # text (not match_only_text, which Dashboards 2.x does not know), its own analyzer.
    assert props["message"] == {"type": "text", "analyzer": "edgelogs_message"}


def test_log_dates_use_the_fast_rfc3339_parser_and_errors_keep_theirs() -> None:
    bodies = template.templates("edge")
    assert bodies["edge"]["version"] == 4
    props = bodies["edge"]["template"]["mappings"]["properties"]
    assert props["@timestamp"] == {"type": "date", "format": "rfc3339_lenient"}
    assert props["event"]["properties"]["ingested"] == {
        "type": "date", "format": "rfc3339_lenient", "index": False}
    errors = bodies["edge-errors"]["template"]["mappings"]["properties"]
    assert errors["@timestamp"] == {"type": "date",
                                    "format": "strict_date_optional_time||epoch_millis"}
