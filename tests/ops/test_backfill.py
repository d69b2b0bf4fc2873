"""Backfill without a node: the window, the payloads, moto's FilterLogEvents, resume, the CLI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from forwarder import documents
from forwarder.decode import decode_event
from forwarder.errors import DeliveryError
from forwarder.handler import Summary
from moto import mock_aws

from ops import backfill as bf
from ops import stack
from tests.ops.history import read_all, seed

REGION = "eu-west-1"
ACCOUNT = "123456789012"
NOW = 1_795_000_000_000


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("logs", region_name=REGION)


class Recorder:
    """A `ship` that decodes what backfill would hand to the forwarder and keeps it."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail_after = fail_after

    def __call__(self, event: dict[str, Any]) -> Summary:
        payload = decode_event(event)
        if self.fail_after is not None and len(self.payloads) >= self.fail_after:
            raise DeliveryError(len(payload.events), "domain unavailable (test)")
        self.payloads.append({"owner": payload.owner, "logGroup": payload.log_group,
                              "logStream": payload.log_stream, "logEvents": payload.events})
        return Summary(events_in=len(payload.events), stored=len(payload.events))

    def ids(self) -> Counter[str]:
        return Counter(e["id"] for p in self.payloads for e in p["logEvents"])


class StopsAfter:
    """A CloudWatch Logs client whose connection drops after `pages` FilterLogEvents calls."""

    def __init__(self, logs: Any, pages: int, exc: BaseException | None = None) -> None:
        self.logs, self.pages, self.calls = logs, pages, 0
        self.exc = exc or ConnectionError("connection reset by peer (test)")

    def filter_log_events(self, **kw: Any) -> Any:
        self.calls += 1
        if self.calls > self.pages:
            raise self.exc
        return self.logs.filter_log_events(**kw)


# --- the window -----------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2025-11-01", 1_761_955_200_000),
    ("2025-11-01T10:00:00Z", 1_761_991_200_000),
    ("2025-11-01T12:00:00+02:00", 1_761_991_200_000),
    ("1761991200000", 1_761_991_200_000),
    ("90m", NOW - 90 * 60_000),
    ("12h", NOW - 12 * 3_600_000),
    ("7d", NOW - 7 * 86_400_000),
    ("2w", NOW - 14 * 86_400_000),
])
def test_times_in_every_accepted_form(text: str, expected: int) -> None:
    assert bf.parse_time(text, NOW) == expected


# --- moto's FilterLogEvents: the contract the tests rely on ---------------------------------


def test_moto_filter_log_events_gives_event_ids_pages_and_time_order(logs: Any) -> None:
    seeded = seed(logs, streams=3, per_stream=40)
    first = logs.filter_log_events(logGroupName=seeded.group, limit=25, interleaved=True)
    assert len(first["events"]) == 25 and first["nextToken"]
    assert {"eventId", "timestamp", "message", "logStreamName"} <= set(first["events"][0])
    events = read_all(logs, seeded.group, limit=25)
    ids = [e["eventId"] for e in events]
    assert len(ids) == len(set(ids)) == seeded.count >= 120
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    # startTime and endTime bound the window on the event timestamp, both inclusive.
    mid = stamps[60]
    inside = read_all(logs, seeded.group, startTime=mid, endTime=stamps[90])
    assert [e["eventId"] for e in inside] == [
        e["eventId"] for e in events if mid <= e["timestamp"] <= stamps[90]]


# --- payloads -------------------------------------------------------------------------------


def test_payloads_are_what_a_subscription_delivers_with_the_same_ids(logs: Any) -> None:
    seeded = seed(logs, streams=3, per_stream=30)
    events = read_all(logs, seeded.group)
    got = Recorder()
    for batch in bf.batches(events):
        ((stream, log_events),) = batch.items()
        got(bf.subscription_event(ACCOUNT, seeded.group, stream, log_events))
    # Grouped by stream, every event once, with FilterLogEvents' eventId as its id.
    assert len(got.payloads) == 3
    assert all(p["owner"] == ACCOUNT and p["logGroup"] == seeded.group for p in got.payloads)
    by_id = {e["eventId"]: e for e in events}
    for p in got.payloads:
        for ev in p["logEvents"]:
            src = by_id[ev["id"]]
            assert (src["logStreamName"], src["timestamp"], src["message"]) == (
                p["logStream"], ev["timestamp"], ev["message"])
    assert got.ids() == Counter(list(by_id))
    # And the forwarder builds the document id live delivery gives that event.
    p = got.payloads[0]
    batch = documents.build(decode_event(bf.subscription_event(
        ACCOUNT, seeded.group, p["logStream"], p["logEvents"])), REGION, "lambda-edge", NOW)
    first_id = p["logEvents"][0]["id"]
    assert documents.target_id(batch.lines[0]) == documents.doc_id(
        ACCOUNT, REGION, seeded.group, first_id)


def test_batches_stay_within_the_forwarders_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    events = [{"logStreamName": f"s{i % 2}", "eventId": str(i), "timestamp": i,
               "message": "x" * 1000} for i in range(50)]
    monkeypatch.setattr(bf, "MAX_BATCH_EVENTS", 7)
    out = list(bf.batches(events))
    assert all(len(b) == 1 and len(next(iter(b.values()))) <= 7 for b in out)
    monkeypatch.setattr(bf, "MAX_BATCH_EVENTS", 10_000)
    monkeypatch.setattr(bf, "MAX_BATCH_BYTES", 5_000)
    out = list(bf.batches(events))
    sizes = [sum(len(e["message"]) + 26 for e in next(iter(b.values()))) for b in out]
    assert max(sizes) <= 5_000
    flat = [e["id"] for b in out for e in next(iter(b.values()))]
    assert sorted(flat, key=int) == [str(i) for i in range(50)]  # each once, none lost


# --- the run, resume ------------------------------------------------------------------------


def _window(seeded: Any) -> bf.Window:
    return bf.Window(seeded.since_ms, seeded.until_ms)


def test_every_event_is_shipped_once_and_the_state_is_removed(logs: Any, tmp_path: Path) -> None:
    seeded = seed(logs)
    ship = Recorder()
    report = bf.backfill(logs, [seeded.group], _window(seeded), ACCOUNT, REGION, ship,
                         state_dir=tmp_path, log=lambda _: None, page_limit=50)
    assert report.ok and report.events == report.stored == seeded.count
    assert report.pages >= seeded.count // 50
    assert set(ship.ids().values()) == {1} and len(ship.ids()) == seeded.count
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_run_resumes_where_it_stopped(logs: Any, tmp_path: Path) -> None:
    seeded = seed(logs)
    window = _window(seeded)
    first, lines = Recorder(), []
    report = bf.backfill(StopsAfter(logs, pages=3), [seeded.group], window, ACCOUNT, REGION,
                         first, state_dir=tmp_path, log=lines.append, page_limit=50)
    assert not report.ok and "reading stopped" in report.problems[0]
    (state_file,) = tmp_path.iterdir()
    saved = json.loads(state_file.read_text())
    assert saved["group"] == seeded.group and saved["events_shipped"] == 150

    second = Recorder()
    report = bf.backfill(logs, [seeded.group], window, ACCOUNT, REGION, second,
                         state_dir=tmp_path, log=lines.append, page_limit=50)
    assert report.ok and any("resuming at" in line for line in lines)
    # It did not start again from the beginning ...
    assert report.events < seeded.count
    # ... and together the two runs shipped every event; the overlap is only the events of the
    # resume point's millisecond, which the ids make harmless.
    both = first.ids() + second.ids()
    assert set(both) == {e["eventId"] for e in read_all(logs, seeded.group)}
    resume = saved["resume_ms"]
    twice = {i for i, n in both.items() if n > 1}
    stamps = {e["eventId"]: e["timestamp"] for e in read_all(logs, seeded.group)}
    assert all(stamps[i] == resume for i in twice)
    assert list(tmp_path.iterdir()) == []


def test_a_keyboard_interrupt_keeps_the_state_and_says_how_to_resume(
        logs: Any, tmp_path: Path) -> None:
    seeded = seed(logs, per_stream=60)
    lines: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        bf.backfill(StopsAfter(logs, 2, KeyboardInterrupt()), [seeded.group], _window(seeded),
                    ACCOUNT, REGION, Recorder(), state_dir=tmp_path, log=lines.append,
                    page_limit=40)
    assert len(list(tmp_path.iterdir())) == 1
    assert "interrupted" in lines[-1] and "--since" in lines[-1] and "--until" in lines[-1]


def test_unstored_events_stop_the_group_and_the_resume_point_stays_before_them(
        logs: Any, tmp_path: Path) -> None:
    seeded = seed(logs)
    window = _window(seeded)
    ship = Recorder(fail_after=4)
    report = bf.backfill(logs, [seeded.group], window, ACCOUNT, REGION, ship,
                         state_dir=tmp_path, log=lambda _: None, page_limit=50)
    shipped = sum(ship.ids().values())
    # The group stops after the page whose batch failed: it does not wait out the retry
    # budget of every later batch.
    assert not report.ok and report.failed == report.events - shipped > 0
    assert report.events < seeded.count
    state = bf.State.of(tmp_path, REGION, seeded.group, window)
    resume = state.resume_ms()
    assert resume is not None
    stamps = {e["eventId"]: e["timestamp"] for e in read_all(logs, seeded.group)}
    not_stored = set(stamps) - set(ship.ids())
    assert resume <= min(stamps[i] for i in not_stored)
    # The next run (domain back) stores the rest.
    again = Recorder()
    report = bf.backfill(logs, [seeded.group], window, ACCOUNT, REGION, again,
                         state_dir=tmp_path, log=lambda _: None, page_limit=50)
    assert report.ok and not_stored <= set(again.ids())


def test_pages_out_of_time_order_never_move_the_resume_point(tmp_path: Path) -> None:
    pages = [
        {"events": [_ev("a", 1, 200), _ev("a", 2, 300)], "nextToken": "t1"},
        {"events": [_ev("b", 3, 100)], "nextToken": "t2"},
        {"events": [_ev("b", 4, 400)]},
    ]

    class Shuffled:
        def filter_log_events(self, **kw: Any) -> Any:
            return pages[{None: 0, "t1": 1, "t2": 2}[kw.get("nextToken")]]

    saved: list[int] = []
    window = bf.Window(0, 1000)
    state = bf.State.of(tmp_path, REGION, "g", window)
    original = state.save
    state.save = lambda ms, n: (saved.append(ms), original(ms, n))  # type: ignore[method-assign]
    report = bf.BackfillReport()
    assert bf.backfill_group(Shuffled(), "g", window, ACCOUNT, Recorder(), state, report,
                             log=lambda _: None)
    assert saved == [300]  # after the 100 came back, no timestamp is trusted


def _ev(stream: str, i: int, ts: int) -> dict[str, Any]:
    return {"logStreamName": stream, "eventId": str(i), "timestamp": ts, "message": f"m{i}"}


def test_a_group_that_does_not_exist_is_reported_and_the_others_go_on(
        logs: Any, tmp_path: Path) -> None:
    seeded = seed(logs, per_stream=20)
    ship = Recorder()
    report = bf.backfill(logs, ["/aws/lambda/us-east-1.nope", seeded.group], _window(seeded),
                         ACCOUNT, REGION, ship, state_dir=tmp_path, log=lambda _: None)
    assert not report.ok and "us-east-1.nope" in report.problems[0]
    assert report.groups == 2 and report.events == seeded.count


# --- progress -------------------------------------------------------------------------------


def test_progress_shows_events_rate_and_time_left_only_on_a_terminal() -> None:
    out = io.StringIO()
    p = bf.Progress(out, enabled=True)
    p.update("backfill g", 500, started=0.0, start_ms=0, reached_ms=250, until_ms=1000,
             force=True)
    p.clear()  # before a message: the line is wiped, not continued
    assert out.getvalue().endswith("\r\x1b[K")
    p.done()
    text = out.getvalue()
    assert "events=500" in text and "/s" in text and "25.0% of the window" in text
    assert "left" in text and text.endswith("\n")
    quiet = io.StringIO()  # not a TTY
    q = bf.Progress(quiet)
    q.update("backfill g", 500, 0.0, 0, 250, 1000, force=True)
    q.done()
    assert quiet.getvalue() == ""


# --- the command ----------------------------------------------------------------------------


def test_log_groups_default_to_the_stack_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    groups = {REGION: ["/aws/lambda/us-east-1.a", "/aws/lambda/us-east-1.b"]}

    def runner(cmd: list[str], **_: Any) -> Any:
        assert cmd == ["pulumi", "stack", "output", "logGroups", "--json"]
        return subprocess.CompletedProcess(cmd, 0, json.dumps(groups), "")

    assert bf.groups_from_stack(REGION, runner) == groups[REGION]
    with pytest.raises(SystemExit, match=r"no logGroups entry for sa-east-1.*pass --log-group"):
        bf.groups_from_stack("sa-east-1", runner)


def test_endpoint_and_domain_region_default_to_the_stack_outputs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack.shutil, "which", lambda _: "/usr/bin/pulumi")
    outputs = {"domainEndpoint": "https://search-edgelogs-abc.eu-central-1.es.amazonaws.com",
               "domainRegion": "eu-central-1", "logGroups": {REGION: ["/aws/lambda/x"]},
               "redaction": {"redact": ["ipv4", "email"], "exclude": ["^DEBUG "]}}

    def runner(cmd: list[str], **_: Any) -> Any:
        return subprocess.CompletedProcess(cmd, 0, json.dumps(outputs[cmd[3]]), "")

    seen: list[dict[str, str]] = []

    class Stop(Exception):
        pass

    def from_env(env: dict[str, str]) -> Any:
        seen.append(dict(env))
        if "REDACT" not in env:  # checked once before the redaction rules are read
            return SimpleNamespace(endpoint=env["OPENSEARCH_ENDPOINT"])
        raise Stop

    monkeypatch.setattr(bf.Settings, "from_env", staticmethod(from_env))
    with pytest.raises(Stop):
        bf.main(["--region", REGION, "--since", "1d"], runner=runner)
    assert seen[-1:] == [{"OPENSEARCH_ENDPOINT": outputs["domainEndpoint"],
                          "OPENSEARCH_SERVICE": "es",
                     "INDEX_PREFIX": "lambda-edge", "AWS_REGION": REGION,
                     "OPENSEARCH_REGION": "eu-central-1",
                     # The stack's redaction rules, as its forwarders get them.
                     "REDACT": '["ipv4", "email"]', "EXCLUDE": '["^DEBUG "]'}]


def test_throttling_is_left_to_botocores_retries_and_an_empty_window_is_a_success(
        logs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    logs.create_log_group(logGroupName="/aws/lambda/us-east-1.quiet")
    made: list[tuple[str, Any]] = []
    real_client = boto3.client

    def client(service: str, **kw: Any) -> Any:
        made.append((service, kw.get("config")))
        return real_client(service, **kw)

    monkeypatch.setattr(boto3, "client", client)
    code = bf.main(["--region", REGION, "--since", "1d", "--endpoint", "http://127.0.0.1:9",
                    "--log-group", "/aws/lambda/us-east-1.quiet"], state_dir=tmp_path)
    assert code == 0
    assert capsys.readouterr().out == (
        f"backfill: region={REGION} groups=1 events=0 stored=0 already_present=0 "
        "errors_indexed=0 failed=0\n")
    assert [service for service, _ in made] == ["logs", "sts"]
    for _, config in made:
        # botocore's reading of max_attempts=10 retries: 11 attempts in all.
        assert config.retries == {"mode": "standard", "total_max_attempts": 11}


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(__file__).resolve().parents[2] / "scripts" / "backfill"
    env = {**os.environ, "PATH": "/usr/bin:/bin", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x"}
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=60, env=env)


def test_help_works() -> None:
    result = _script("--help")
    assert result.returncode == 0
    for option in ("--since", "--until", "--log-group", "--domain-region", "--account"):
        assert option in result.stdout


@pytest.mark.parametrize("args, says", [
    (["--region", REGION, "--since", "yesterday"], "--since 'yesterday' is not a time: use 15m"),
    (["--region", REGION, "--since", "1d", "--until", "soon"], "--until 'soon' is not a time"),
    (["--region", REGION, "--since", "1d", "--until", "2d"], "must be before --until"),
    (["--region", REGION, "--since", "1d", "--account", "12"], "12-digit account id"),
    (["--since", "1d"], "--region"),
    (["--region", REGION, "--since", "1d", "--seconds-per-batch", "2"], "must be more than 3"),
    (["--region", REGION, "--since", "1d", "--endpoint", "http://example.com"],
     "OPENSEARCH_ENDPOINT"),
    (["--region", REGION, "--since", "1d"], "--endpoint is required"),
    (["--region", REGION, "--since", "1d", "--endpoint", "http://127.0.0.1:9"],
     "--log-group is required"),
])
def test_a_bad_invocation_is_one_line_and_exit_code_2(args: list[str], says: str) -> None:
    result = _script(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("edgelogs backfill: ") and says in result.stderr
    assert result.stdout == ""
