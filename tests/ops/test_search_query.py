"""The search command's pure parts: times, levels, queries, invocation grouping, lines."""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest

from ops import stack
from ops.cli import UsageError
from ops.search import command, paint, query
from ops.search.invocation import invocation_members
from ops.search.paint import format_line
from ops.search.query import Filters, build_query, parse_time

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [
    ("15m", datetime(2026, 11, 28, 11, 45, tzinfo=UTC)),
    ("2h", datetime(2026, 11, 28, 10, 0, tzinfo=UTC)),
    ("3d", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),
    ("1w", datetime(2026, 11, 21, 12, 0, tzinfo=UTC)),
    ("30s", datetime(2026, 11, 28, 11, 59, 30, tzinfo=UTC)),
    ("now", NOW),
    ("2025-11-24T16:00:00Z", datetime(2025, 11, 24, 16, 0, tzinfo=UTC)),
    ("2025-11-24T16:00:00", datetime(2025, 11, 24, 16, 0, tzinfo=UTC)),  # UTC unless it says
    ("2025-11-24T18:00:00+02:00", datetime(2025, 11, 24, 16, 0, tzinfo=UTC)),
    ("2025-11-24", datetime(2025, 11, 24, tzinfo=UTC)),
])
def test_times_relative_and_absolute(text: str, expected: datetime) -> None:
    assert parse_time(text, NOW, "--since") == expected


@pytest.mark.parametrize("text", ["yesterday", "15", "m15", "2025-13-01", "-2h", ""])
def test_a_malformed_time_names_the_option_and_the_forms(text: str) -> None:
    with pytest.raises(UsageError, match=r"--until .* is not a time: use 15m, 2h, 3d"):
        parse_time(text, NOW, "--until")


def test_levels_are_this_one_and_above() -> None:
    assert query.levels_from("warn") == ["WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"]
    assert query.levels_from("ERROR") == ["ERROR", "FATAL", "CRITICAL"]
    with pytest.raises(UsageError, match="--level 'loud' is not a level"):
        query.levels_from("loud")


def test_no_filter_matches_everything() -> None:
    assert build_query(Filters()) == {"match_all": {}}


def test_every_filter_is_a_clause() -> None:
    f = Filters(since=datetime(2025, 11, 24, 16, tzinfo=UTC),
                until=datetime(2025, 11, 24, 17, tzinfo=UTC), request_id="r-1",
                functions=("viewer-auth",), regions=("eu-west-1", "sa-east-1"), level="WARN",
                text='"token expired" -bot')
    query = build_query(f)
    assert query["bool"]["filter"] == [
        # since inclusive, until exclusive
        {"range": {"@timestamp": {"gte": "2025-11-24T16:00:00.000Z",
                                  "lt": "2025-11-24T17:00:00.000Z"}}},
        {"term": {"aws.lambda.request_id": "r-1"}},
        {"terms": {"faas.name": ["viewer-auth"]}},
        {"terms": {"cloud.region": ["eu-west-1", "sa-east-1"]}},
        {"bool": {"should": [
            {"terms": {"log.level": ["WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"]}},
            {"exists": {"field": "aws.cloudfront.distribution_id"}}],
            "minimum_should_match": 1}},
    ]
    assert query["bool"]["must"] == [{"simple_query_string": {
        "query": '"token expired" -bot', "default_operator": "and",
        "fields": ["message", "aws.lambda.request_id"]}}]


def test_cloudfront_error_logs_count_as_errors_but_not_as_fatal() -> None:
    fatal = build_query(Filters(level="FATAL"))["bool"]["filter"][0]["bool"]["should"]
    assert fatal == [{"terms": {"log.level": ["FATAL", "CRITICAL"]}}]


def test_the_sort_is_the_date_alone_and_never_fails_on_an_index_without_it() -> None:
    # No event.id tiebreaker any more: ops.search.paging makes paging exact (its tests).
    assert query.sort_spec() == [{"@timestamp": {"order": "asc", "unmapped_type": "date"}}]
    assert query.sort_spec(True, "event.ingested", missing_first=True) == [
        {"event.ingested": {"order": "desc", "unmapped_type": "date", "missing": "_first"}}]


def test_only_day_indices_are_searched() -> None:
    # Not lambda-edge-errors-*, nor another stack's lambda-edge-staging-*.
    assert query.index_pattern("lambda-edge") == "lambda-edge-1*,lambda-edge-2*"


def _hit(rid: str | None, n: int) -> dict[str, Any]:
    src: dict[str, Any] = {"message": f"line {n}"}
    if rid:
        src["aws.lambda.request_id"] = rid
    return {"_id": str(n), "_source": src}


def test_an_invocation_is_its_lines_and_the_unnamed_lines_around_them() -> None:
    stream = [_hit("prev", 0), _hit(None, 1),  # the previous invocation, then an init line
              _hit(None, 2), _hit("me", 3), _hit(None, 4), _hit("other", 5), _hit("me", 6),
              _hit(None, 7), _hit("next", 8)]
    ids = [h["_id"] for h in invocation_members(stream, "me")]
    # 1-2: the init phase before START; 4: a timeout notice; 5 another request's; 7: after
    # the last line of the invocation.
    assert ids == ["1", "2", "3", "4", "6"]
    assert invocation_members(stream, "absent") == []


def test_a_line_is_the_columns_then_the_message_without_its_text_format_prefix() -> None:
    src = {"@timestamp": "2025-11-24T16:00:00.123Z", "cloud.region": "ap-northeast-1",
           "faas.name": "viewer-auth", "faas.version": "12", "log.level": "ERROR",
           "aws.lambda.request_id": "8f5e0c2a-4f0e-4d3c-9d55-0c1f6a1c2b3d",
           "message": "2025-11-24T16:00:00.123Z\t8f5e0c2a-4f0e-4d3c-9d55-0c1f6a1c2b3d\tERROR\t"
                      "boom\n"}
    assert format_line(src) == ("2025-11-24T16:00:00.123Z ap-northeast-1 viewer-auth:12"
                                "         ERROR 8f5e0c2a-4f0e-4d3c-9d55-0c1f6a1c2b3d boom")
    python = {**src, "message": "[WARNING]\t2025-11-24T16:00:00.123Z\tr\tslow origin\n"}
    assert format_line(python).endswith(" slow origin")


def test_a_line_without_the_lambda_facts_shows_dashes_and_its_source() -> None:
    src = {"@timestamp": "2025-11-24T16:00:00.000Z", "cloud.region": "eu-west-1",
           "aws.cloudfront.distribution_id": "E2QWRUHAPOMQZL", "message": '{"a": 1}\n'}
    assert format_line(src).split() == ["2025-11-24T16:00:00.000Z", "eu-west-1",
                                        "cloudfront/E2QWRUHAPOMQZL", "-", "-", '{"a":', "1}"]


def test_a_line_is_one_line_and_cannot_drive_the_terminal() -> None:
    src = {"message": "Traceback:\n  File x\r\n\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b\tend\n",
           "log.level": "\x1b[31mERROR", "faas.name": "f\nx"}
    line = format_line(src)
    assert "\n" not in line and "\x1b" not in line and "\x07" not in line
    assert "\u202e" not in line and "\x9b" not in line
    assert "Traceback:\\n  File x\\n\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil\\x9b end" in line


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert paint.use_color(Tty(), {}) is True
    assert paint.use_color(Tty(), {"NO_COLOR": "1"}) is False
    assert paint.use_color(Tty(), {"TERM": "dumb"}) is False
    assert paint.use_color(io.StringIO(), {}) is False
    src = {"@timestamp": "t", "log.level": "ERROR", "message": "m"}
    assert "\x1b[31;1mERROR\x1b[0m" in format_line(src, color=True)
    assert "\x1b" not in format_line(src, color=False)


def test_json_output_is_one_escaped_document_per_line() -> None:
    src = {"message": "a\nb\x1b", "json": {"k": "\u00e9"}}
    text = paint.format_json(src)
    assert "\n" not in text and "\x1b" not in text and text.isascii()
    assert json.loads(text) == src


def _args(*argv: str) -> Any:
    return command.parse_args(list(argv))


def _runner(outputs: dict[str, Any]) -> Any:
    def run(cmd: list[str], **_: Any) -> Any:
        name = cmd[3]
        if name in outputs:
            return subprocess.CompletedProcess(cmd, 0, json.dumps(outputs[name]), "")
        return subprocess.CompletedProcess(cmd, 255, "", f"error: current stack does not have "
                                                         f"output property '{name}'")
    return run


def test_endpoint_region_and_prefix_come_from_the_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    outputs = {"domainEndpoint": "https://search-edgelogs-prod-abc.eu-central-1.es.amazonaws.com",
               "domainRegion": "eu-central-1", "indexPrefix": "edge"}
    settings, notes = command.connection(_args(), _runner(outputs))
    assert (settings.endpoint, settings.domain_region, settings.index_prefix) == (
        outputs["domainEndpoint"], "eu-central-1", "edge")
    assert settings.signed and notes == []


def test_without_an_index_prefix_output_the_default_is_used_and_said(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    # An older stack: no indexPrefix, no domainRegion; the host names the region.
    outputs = {"domainEndpoint": "https://search-edgelogs-prod-abc.ap-south-1.es.amazonaws.com"}
    settings, notes = command.connection(_args(), _runner(outputs))
    assert settings.index_prefix == "lambda-edge" and settings.domain_region == "ap-south-1"
    assert len(notes) == 1 and "no indexPrefix output" in notes[0] and "lambda-edge" in notes[0]


def test_a_custom_domain_name_needs_the_domain_region() -> None:
    with pytest.raises(UsageError, match="--domain-region is required"):
        command.connection(_args("--endpoint", "https://logs.example.com"))
    settings, _ = command.connection(_args("--endpoint", "https://logs.example.com",
                                          "--domain-region", "eu-west-2"))
    assert settings.domain_region == "eu-west-2" and settings.signed


def test_a_local_node_is_not_signed_and_takes_the_default_prefix() -> None:
    settings, notes = command.connection(_args("--endpoint", "http://127.0.0.1:9200"))
    assert not settings.signed and settings.index_prefix == "lambda-edge" and notes == []


@pytest.mark.parametrize("argv, says", [
    (["--follow", "--until", "1h"], "--follow shows new lines"),
    (["--limit", "0"], "--limit must be between 1 and 10000"),
    (["--limit", "10001"], "--limit must be between 1 and 10000"),
    (["--endpoint", ""], "--endpoint is empty"),
])
def test_contradictions_are_usage_errors(argv: list[str], says: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        command.parse_args(argv)
    assert exc.value.code == 2 and says in capsys.readouterr().err


def test_since_must_be_before_until() -> None:
    with pytest.raises(UsageError, match=r"--since .* must be before --until"):
        command.filters_from(_args("--since", "1h", "--until", "2h"), NOW)


def test_a_request_id_is_looked_for_in_every_kept_day() -> None:
    assert command.filters_from(_args("--request-id", "r"), NOW).since is None
    assert command.filters_from(_args(), NOW).since == parse_time("1h", NOW, "--since")
