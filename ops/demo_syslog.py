"""A local rsyslog for the demo's syslog destination, beside the domain.

rsyslog (Debian packages rsyslog and rsyslog-gnutls) runs in the foreground as a child of the
demo, on a free port, with TLS through its gnutls driver and a certificate made here with
openssl for 127.0.0.1; every file (config, certificates, records) stays in this checkout's
.cache/demo-syslog. Each record is written as one JSON line, so the demo can count them by
event id. The tests' receivers (tests/support/receivers.py) use the same config and
certificates.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / ".cache" / "demo-syslog"
_ID = re.compile(r'event\.id="([^"]+)"')


class ReceiverMissing(RuntimeError):
    """rsyslog, its gnutls driver or openssl is not installed."""


RSYSLOG_CONF = """\
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


@dataclass
class Certificates:
    ca: Path
    cert: Path
    key: Path


def rsyslogd() -> str:
    """The rsyslogd binary with its gnutls driver, or ReceiverMissing saying what to install."""
    binary = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)
    if binary is None:
        raise ReceiverMissing("rsyslogd is not installed: apt-get install -y rsyslog "
                              "rsyslog-gnutls")
    if not list(Path("/usr/lib").glob("*/rsyslog/lmnsd_gtls.so")):
        raise ReceiverMissing("rsyslog's gnutls driver is missing: apt-get install -y "
                              "rsyslog-gnutls")
    return binary


def make_certificates(directory: Path) -> Certificates:
    """A throw-away CA and a server certificate for 127.0.0.1 / localhost (openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ReceiverMissing("openssl is required for the receiver's certificate: "
                              "apt-get install -y openssl")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=directory)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        "/CN=edgelogs local CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
        "server.key", "-out", "server.csr")
    (directory / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                       "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.pem")
    os.chmod(directory / "server.key", 0o600)
    return Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen[Any] | None, sig: int, grace_s: float) -> None:
    """Send `sig` to a receiver we started and reap it; SIGKILL after `grace_s` seconds."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class LocalRsyslog:
    """rsyslogd -n in ``directory``: a TLS input and a plain octet-counted TCP input."""

    def __init__(self, directory: Path) -> None:
        self.binary = rsyslogd()
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.certs = make_certificates(directory)
        self.tls_port, self.tcp_port = free_port(), free_port()
        self.out = directory / "records.jsonl"
        self.conf = directory / "rsyslog.conf"
        (directory / "work").mkdir(exist_ok=True)
        self.conf.write_text(RSYSLOG_CONF.format(
            work=directory / "work", ca=self.certs.ca, cert=self.certs.cert,
            key=self.certs.key, tls_port=self.tls_port, tcp_port=self.tcp_port, out=self.out))
        check = subprocess.run([self.binary, "-N1", "-f", str(self.conf)], capture_output=True,
                               text=True)
        if check.returncode != 0:
            raise RuntimeError(f"rsyslog refuses its config: {check.stderr.strip()}")
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        # A child of this process, waited on: with a pid file, a restart could be refused
        # while the old process is an unreaped zombie.
        with open(self.dir / "stderr.log", "ab") as err:
            self.proc = subprocess.Popen(
                [self.binary, "-n", "-f", str(self.conf), "-i", "NONE"],
                stdout=subprocess.DEVNULL, stderr=err)
        for port in (self.tcp_port, self.tls_port):
            self._wait_port(port)

    def _wait_port(self, port: int, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"rsyslogd exited before listening (see {self.dir}/stderr.log)")
            # A plain TCP probe: rsyslog logs a harmless "non-properly terminated" TLS error.
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port),
                                                                        0.2):
                return
            time.sleep(0.05)
        raise RuntimeError(f"rsyslogd does not listen on 127.0.0.1:{port} after {timeout}s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop and reap it (SIGTERM: it writes out what it received first)."""
        stop_process(self.proc, sig, grace_s=20)
        self.proc = None

    def records(self, lenient: bool = False) -> list[dict[str, Any]]:
        """Every record written so far. ``lenient``: skip a line that is not JSON (a write
        cut short when rsyslog was killed), instead of failing."""
        if not self.out.exists():
            return []
        # omfile writes in blocks: a last line without its newline is not written yet.
        complete = self.out.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]
        out = []
        for line in complete:
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                if not lenient:
                    raise
        return out

    def wait_records(self, count: int, timeout: float = 30,
                     lenient: bool = False) -> list[dict[str, Any]]:
        """The records once at least ``count`` are written, after a short quiet time."""
        end = time.monotonic() + timeout
        while len(self.records(lenient)) < count and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(0.5)
        return self.records(lenient)

    def shipper(self) -> Any:
        """The forwarder's syslog shipper for the TLS input, trusting this receiver's CA."""
        from forwarder.syslog_shipper import SyslogShipper

        return SyslogShipper(f"syslog:127.0.0.1:{self.tls_port}", "127.0.0.1", self.tls_port,
                             True, 30.0, cafile=str(self.certs.ca))


def event_id(record: dict[str, Any]) -> str | None:
    m = _ID.search(record.get("sd", ""))
    return m.group(1) if m else None


def start_for_demo() -> LocalRsyslog:
    """A fresh receiver for one demo run (the records of earlier runs are left behind)."""
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    return LocalRsyslog(DEMO_DIR)


def report(receiver: LocalRsyslog, expected: int) -> list[str]:
    """What the demo prints about the syslog destination: records, unique ids, an example."""
    records = receiver.wait_records(expected)
    ids = {event_id(r) for r in records} - {None}
    lines = [f"syslog destination: rsyslog on 127.0.0.1:{receiver.tls_port} (TLS) took "
             f"{len(records)} RFC 5424 records, {len(ids)} distinct event ids; they are in "
             f"{receiver.out.relative_to(ROOT)}"]
    sample = next((r for r in records if r.get("pri") in ("11", "10")), records[0] if records
                  else None)
    if sample is not None:
        lines.append(f"  e.g. host={sample['host']} app={sample['app']} pri={sample['pri']} "
                     f"sd={sample['sd'][:160]}...")
    return lines
