"""Real receivers for the destination tests: rsyslog (TLS through its gnutls driver, and
plain octet-counted TCP) and VictoriaLogs, each a child process of the test on free ports,
with every file (config, certificates, spool, data) inside the checkout's .cache/.

A receiver that is not installed fails the test with the command that installs it (.ci/run
does): these tests never skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Until something accepts on 127.0.0.1:port (plain TCP: no TLS handshake)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"receiver exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path


def make_certificates(directory: Path) -> Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1 / localhost (openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is required to make the receivers' certificates: "
                    "apt-get install -y openssl")
    d = directory

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=d)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=edgelogs test CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
        "server.key", "-out", "server.csr")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                               "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    os.chmod(d / "server.key", 0o600)
    return Certificates(d / "ca.pem", d / "server.pem", d / "server.key")


# One JSON object a record: what the tests count and check.
_RSYSLOG_CONF = """\
global(workDirectory="{work}"
       maxMessageSize="256k"
       DefaultNetstreamDriverCAFile="{ca}"
       DefaultNetstreamDriverCertFile="{cert}"
       DefaultNetstreamDriverKeyFile="{key}"
       parser.escapeControlCharactersOnReceive="off")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1"
       StreamDriver.AuthMode="anon" MaxSessions="200")
input(type="imtcp" port="{tls_port}" name="tls")
input(type="imtcp" port="{tcp_port}" name="tcp"
      StreamDriver.Name="ptcp" StreamDriver.Mode="0")
template(name="record" type="list" option.jsonf="on") {{
  property(outname="input" name="inputname" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
action(type="omfile" file="{out}" template="record")
"""


class Rsyslog:
    """rsyslogd in the foreground (-n), its TLS and plain TCP inputs on free ports; every
    record written as one JSON line to ``out``."""

    def __init__(self) -> None:
        binary = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd"
                                              if Path("/usr/sbin/rsyslogd").exists() else None)
        if binary is None:
            pytest.fail("rsyslogd is not installed: apt-get install -y rsyslog rsyslog-gnutls "
                        "(.ci/run does)")
        if not list(Path("/usr/lib").glob("*/rsyslog/lmnsd_gtls.so")):
            pytest.fail("rsyslog's gnutls driver is missing: apt-get install -y rsyslog-gnutls")
        self.binary = binary
        self.dir = workdir("rsyslog")
        self.certs = make_certificates(self.dir)
        self.tls_port, self.tcp_port = free_port(), free_port()
        self.out = self.dir / "records.jsonl"
        self.conf = self.dir / "rsyslog.conf"
        (self.dir / "work").mkdir()
        self.conf.write_text(_RSYSLOG_CONF.format(
            work=self.dir / "work", ca=self.certs.ca, cert=self.certs.cert,
            key=self.certs.key, tls_port=self.tls_port, tcp_port=self.tcp_port, out=self.out))
        check = subprocess.run([binary, "-N1", "-f", str(self.conf)], capture_output=True,
                               text=True)
        if check.returncode != 0:
            raise RuntimeError(f"rsyslog refuses its config: {check.stderr.strip()}")
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-n", "-f", str(self.conf), "-i", "NONE"],
            stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "ab"))  # noqa: SIM115
        wait_port(self.tcp_port, self.proc)
        wait_port(self.tls_port, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop it and reap it (no zombie may hold the ports for a restart)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def records(self) -> list[dict[str, str]]:
        if not self.out.exists():
            return []
        # omfile writes in blocks: a last line without its newline is not written yet.
        complete = self.out.read_text(encoding="utf-8").split("\n")[:-1]
        return [json.loads(line) for line in complete if line.strip()]

    def wait_records(self, count: int, timeout: float = 30) -> list[dict[str, str]]:
        """The records once at least ``count`` are written (omfile buffers briefly), then
        a short quiet time so that a duplicate arriving late is seen too."""
        end = time.monotonic() + timeout
        found = self.records()
        while len(found) < count and time.monotonic() < end:
            time.sleep(0.1)
            found = self.records()
        time.sleep(0.5)
        return self.records()


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
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
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


@contextlib.contextmanager
def running(receiver: Rsyslog | VictoriaLogs) -> Iterator[Rsyslog | VictoriaLogs]:
    try:
        yield receiver
    finally:
        receiver.stop()
