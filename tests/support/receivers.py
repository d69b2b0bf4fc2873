"""Real receivers for the destination tests: rsyslog (TLS through its gnutls driver, and
plain octet-counted TCP) and VictoriaLogs, each a child process of the test on free ports,
with every file (config, certificates, spool, data) inside the checkout's .cache/.

A receiver that is not installed fails the test with the command that installs it (.ci/run
does): these tests never skip.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from ops.demo_syslog import LocalRsyslog, ReceiverMissing, stop_process

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"
VICTORIA_LOGS = CACHE / "go" / "bin" / "victoria-logs"
VICTORIA_LOGS_INSTALL = (
    "GOBIN=$PWD/.cache/go/bin GOCACHE=$PWD/.cache/go/cache GOMODCACHE=$PWD/.cache/go/mod "
    "CGO_ENABLED=0 go install -ldflags='-s -w' "
    "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@v1.52.2  (or run .ci/run)"
)


def workdir(kind: str) -> Path:
    """A fresh directory of the checkout's own for one receiver."""
    path = CACHE / "receivers" / f"{kind}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remove(receiver: LocalRsyslog | VictoriaLogs) -> None:
    """Stop it and delete its files (a test's receiver lives only as long as the test)."""
    receiver.stop()
    shutil.rmtree(receiver.dir, ignore_errors=True)


class Rsyslog(LocalRsyslog):
    """rsyslogd in the foreground (-n), its TLS and plain TCP inputs on free ports, every
    record one JSON line in ``out`` (the demo's receiver, ops/demo_syslog.py); a missing
    package fails the test with the command that installs it."""

    def __init__(self) -> None:
        try:
            super().__init__(workdir("rsyslog"))
        except ReceiverMissing as exc:
            pytest.fail(f"{exc} (.ci/run installs it)")


class VictoriaLogs:
    """victoria-logs (built from the Go module proxy into .cache/go/bin by .ci/run) with its
    data in the checkout; ``jsonline_url`` ingests, ``query`` runs LogsQL."""

    def __init__(self) -> None:
        if not VICTORIA_LOGS.exists():
            pytest.fail(f"{VICTORIA_LOGS} is missing; build it with: {VICTORIA_LOGS_INSTALL}")
        self.dir = workdir("victorialogs")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def jsonline_url(self) -> str:
        # The documents' own fields: message, event time, a stream per region and function.
        return (f"{self.url}/insert/jsonline?_msg_field=message&_time_field=@timestamp"
                "&_stream_fields=cloud.region,faas.name")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(VICTORIA_LOGS), f"-storageDataPath={self.dir / 'data'}",
             f"-httpListenAddr=127.0.0.1:{self.port}", "-retentionPeriod=100y",
             "-loggerLevel=ERROR"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "ab"))  # noqa: SIM115
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"victoria-logs exited with {self.proc.returncode}")
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"{self.url}/health", timeout=1) as answer:
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("victoria-logs did not answer /health in 30s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        stop_process(self.proc, sig, grace_s=30)
        self.proc = None

    def query(self, logsql: str) -> list[dict[str, str]]:
        """Rows of a LogsQL query through its own API (/select/logsql/query, JSON lines)."""
        data = urllib.parse.urlencode({"query": logsql}).encode()
        with urllib.request.urlopen(f"{self.url}/select/logsql/query", data=data,
                                    timeout=60) as answer:
            return [json.loads(line) for line in answer.read().decode().splitlines()
                    if line.strip()]

    def unique_ids(self) -> set[str]:
        return {row["event.id"] for row in self.query("* | uniq by (event.id)")}

    def wait_unique(self, count: int, timeout: float = 30) -> set[str]:
        """Unique event ids once ``count`` are searchable (rows become searchable within a
        second or so of ingestion)."""
        end = time.monotonic() + timeout
        found = self.unique_ids()
        while len(found) < count and time.monotonic() < end:
            time.sleep(0.2)
            found = self.unique_ids()
        return found
