"""Run a real, local OpenSearch node for the integration tests and benchmarks.

    edgelogs node start [--name N] [--port P] [--heap 512m] [--setting k=v ...]
    edgelogs node stop  [--name N] [--kill]
    edgelogs node status [--name N]

(`python -m ops node ...` from the checkout is the same command, without `pip install -e .`.)

`start` fetches the OpenSearch integ-test-zip distribution from Maven Central once (through
Maven, cached under this checkout's .cache/opensearch), runs it on 127.0.0.1 as an
unprivileged user (the engine refuses root: run as root, it creates the system user
`edgelogs-os` once and runs the node as that user), waits until it answers, and prints its URL
as the last line. Without --port (or with --port 0) it takes a free port, the same one as the
node's previous run when that is still free. A node of this checkout with the same name that is
already up is reused; nodes of other checkouts are never seen, because every node's files live
in its own checkout. Each name has its own config, data and logs, kept across stop/start, so a
test can kill a node and restart it on the same data and port.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from ops.cli import Parser
from ops.exit_codes import Exit

VERSION = os.environ.get("OPENSEARCH_VERSION", "2.19.6")
ARTIFACT = "org.opensearch.distribution.integ-test-zip:opensearch:{version}:zip"
# Modules every OpenSearch distribution (and every Amazon OpenSearch Service domain) has but
# the integ-test zip leaves out: (name, Maven artifact, plugin class, description). The log
# template's message analyzer needs analysis-common's pattern_replace char filter.
MODULES = [
    ("analysis-common", "org.opensearch.plugin:analysis-common:{version}:jar",
     "org.opensearch.analysis.common.CommonAnalysisPlugin",
     'Adds "built in" analyzers to OpenSearch.'),
]
REPO_ROOT = Path(__file__).resolve().parent.parent


def _traversable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _default_cache() -> Path:
    """This checkout's own cache, so two checkouts never share or stop each other's nodes.

    Run as root, the node's unprivileged user must reach its files; a checkout it cannot
    traverse (under /root, say) keeps them in a folder named after the checkout's path instead.
    """
    if os.geteuid() != 0 or _traversable_by_others(REPO_ROOT):
        return REPO_ROOT / ".cache"
    digest = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:12]
    return Path(f"/var/tmp/edgelogs-{digest}")


CACHE = Path(os.environ.get("EDGELOGS_CACHE") or _default_cache()) / "opensearch"
RUN_AS = os.environ.get("OPENSEARCH_RUN_AS", "edgelogs-os")
# Java 17 runs 2.x; 3.x needs a newer JDK (the Temurin one beside it on these machines).
JAVA_CANDIDATES = {
    "2": ["/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/openjdk-17"],
    "3": ["/usr/lib/jvm/temurin-25-jdk-amd64"],
}
START_TIMEOUT_S = float(os.environ.get("OPENSEARCH_START_TIMEOUT", "180"))
PROG = "edgelogs node"
DEFAULT_HEAP = os.environ.get("OPENSEARCH_HEAP", "512m")


class NodeError(RuntimeError):
    pass


def log(msg: str) -> None:
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def unpack(zip_path: Path, into: Path, version: str) -> Path:
    """The distribution zip unpacked afresh under `into`; returns its opensearch-<version>/."""
    shutil.rmtree(into, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(into)
    unpacked = into / f"opensearch-{version}"
    for f in (unpacked / "bin").iterdir():
        f.chmod(0o755)  # zipfile drops the executable bits
    return unpacked


def _mvn_copy(artifact: str, out: Path, what: str) -> None:
    if shutil.which("mvn") is None:
        raise NodeError("Maven (mvn) is needed to fetch the OpenSearch distribution")
    log(f"fetching {artifact}")
    cmd = ["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={artifact}",
           f"-DoutputDirectory={out}"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        report = CACHE / "fetch.log"
        report.write_text(result.stdout + result.stderr)
        raise NodeError(f"could not fetch {what} with Maven (see {report})")


def make_readable(*roots: Path, tree: Path | None = None) -> None:
    """The node's unprivileged user may read `roots` and everything under `tree`."""
    for path in [*roots, *([tree, *tree.rglob("*")] if tree else [])]:
        mode = path.stat().st_mode
        path.chmod(mode | (0o055 if path.is_dir() else 0o044))


def add_modules(home: Path, version: str) -> None:
    """Install MODULES into the unpacked distribution at `home` (idempotent): the module's
    jar from Maven (its dependencies are the core's own) and its descriptor."""
    for name, artifact, classname, description in MODULES:
        module = home / "modules" / name
        if (module / "plugin-descriptor.properties").exists():
            continue
        jars = CACHE / "modules" / version
        jar = jars / f"{name}-{version}.jar"
        if not jar.exists():
            jars.mkdir(parents=True, exist_ok=True)
            _mvn_copy(artifact.format(version=version), jars, f"the {name} module")
        module.mkdir(parents=True, exist_ok=True)
        shutil.copy2(jar, module / jar.name)
        (module / "plugin-descriptor.properties").write_text(
            f"description={description}\nversion={version}\nname={name}\n"
            f"classname={classname}\njava.version=11\nopensearch.version={version}\n"
            "extended.plugins=\nhas.native.controller=false\n")
        make_readable(tree=module)


def distribution(version: str) -> Path:
    """The unpacked distribution with MODULES, downloaded through Maven on first use."""
    home = CACHE / f"opensearch-{version}"
    if (home / "bin" / "opensearch").exists():
        add_modules(home, version)  # a cache unpacked before a module was added
        return home
    CACHE.mkdir(parents=True, exist_ok=True)
    zip_path = CACHE / f"opensearch-{version}.zip"
    if not zip_path.exists():
        _mvn_copy(ARTIFACT.format(version=version), CACHE, f"OpenSearch {version}")
        if not zip_path.exists():
            raise NodeError(f"could not fetch OpenSearch {version} with Maven "
                            f"(see {CACHE / 'fetch.log'})")
    tmp = CACHE / f".unpack-{os.getpid()}"
    unpacked = unpack(zip_path, tmp, version)
    add_modules(unpacked, version)
    unpacked.rename(home)
    shutil.rmtree(tmp, ignore_errors=True)
    # Readable by the unprivileged user that runs the node.
    make_readable(CACHE.parent, CACHE, tree=home)
    return home


def java_home(version: str) -> str:
    if os.environ.get("OPENSEARCH_JAVA_HOME"):
        return os.environ["OPENSEARCH_JAVA_HOME"]
    for candidate in JAVA_CANDIDATES.get(version.split(".")[0], []):
        if Path(candidate, "bin", "java").exists():
            return candidate
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    java = shutil.which("java")
    if java is None:
        raise NodeError("no Java found: install a JDK or set OPENSEARCH_JAVA_HOME")
    return str(Path(java).resolve().parent.parent)


def run_as_user() -> pwd.struct_passwd | None:
    """The unprivileged account to run as when we are root (OpenSearch refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            check=True,
        )
        return pwd.getpwnam(RUN_AS)


def node_dir(name: str) -> Path:
    return CACHE / "nodes" / name


def url_for(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(avoid: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    """A port nothing listens on now (the kernel's choice)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port


def choose_ports(name: str, port: int) -> tuple[int, int]:
    """(http, transport) ports: the requested one, else the node's previous ones if still
    free (a restarted node keeps its URL), else free ones."""
    state = read_state(name) or {}
    if port:
        transport = port + 100 if port_free(port + 100) else free_port({port})
        return port, transport
    previous, previous_transport = state.get("port"), state.get("transport_port")
    if previous and previous_transport and port_free(previous) and port_free(previous_transport):
        return previous, previous_transport
    http = free_port()
    return http, free_port({http})


def read_state(name: str) -> dict | None:
    state = node_dir(name) / "state.json"
    if not state.exists():
        return None
    return json.loads(state.read_text())


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as resp:
            health = json.load(resp)
        return health.get("status") in ("green", "yellow")
    except (urllib.error.URLError, OSError, ValueError):
        return False


def write_config(
    conf: Path, home: Path, name: str, ports: tuple[int, int], settings: dict[str, str],
    data: Path, logs: Path,
) -> None:
    if conf.exists():
        shutil.rmtree(conf)
    shutil.copytree(home / "config", conf)
    base = {
        "cluster.name": f"edgelogs-{name}",
        "node.name": name,
        "network.host": "127.0.0.1",
        "http.port": str(ports[0]),
        "transport.port": str(ports[1]),
        "discovery.type": "single-node",
        "path.data": str(data),
        "path.logs": str(logs),
        # A test machine's disk may be fuller than production's watermarks allow.
        "cluster.routing.allocation.disk.threshold_enabled": "false",
    }
    base.update(settings)
    # The stock jvm.options write GC logs and crash files relative to the distribution,
    # which the unprivileged user may not write to: point them at this node's own dirs.
    jvm = (conf / "jvm.options").read_text()
    jvm = jvm.replace("file=logs/gc.log", f"file={logs}/gc.log")
    jvm = jvm.replace("-XX:ErrorFile=logs/", f"-XX:ErrorFile={logs}/")
    jvm = jvm.replace("-XX:HeapDumpPath=data", f"-XX:HeapDumpPath={data}")
    (conf / "jvm.options").write_text(jvm)
    (conf / "opensearch.yml").write_text(
        "".join(f"{k}: {json.dumps(v)}\n" for k, v in base.items())
    )


def start(name: str, port: int, heap: str, settings: dict[str, str], version: str) -> str:
    state = read_state(name)
    if state and pid_alive(state["pid"]) and answers(state["url"]):
        if port and state["url"] != url_for(port):
            raise NodeError(f"node {name!r} already runs at {state['url']}, not {url_for(port)}")
        log(f"node {name!r} already running (pid {state['pid']})")
        return str(state["url"])
    ports = choose_ports(name, port)
    url = url_for(ports[0])
    if not port_free(ports[0]):
        raise NodeError(f"something else already listens on {url}; choose another --port")

    home = distribution(version)
    ndir = node_dir(name)
    conf, data, logs, tmp = ndir / "config", ndir / "data", ndir / "logs", ndir / "tmp"
    for d in (ndir, data, logs, tmp):
        d.mkdir(parents=True, exist_ok=True)
    write_config(conf, home, name, ports, settings, data, logs)
    user = run_as_user()
    if user is not None:
        for path in [ndir, *ndir.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)

    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "JAVA_HOME": java_home(version),
        "OPENSEARCH_PATH_CONF": str(conf),
        "OPENSEARCH_TMPDIR": str(tmp),
        "OPENSEARCH_JAVA_OPTS": f"-Xms{heap} -Xmx{heap} -XX:-HeapDumpOnOutOfMemoryError",
        "HOME": str(ndir),
        "LANG": "C.UTF-8",
    }
    console = open(logs / "console.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(home / "bin" / "opensearch")],
        cwd=ndir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=console,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # outlives this command; stopped with `stop`
        user=user.pw_uid if user else None,
        group=user.pw_gid if user else None,
        extra_groups=[] if user else None,
    )
    (ndir / "state.json").write_text(json.dumps(
        {"pid": proc.pid, "url": url, "port": ports[0], "transport_port": ports[1]}))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            # One line here; the node's own words are in its console log (the tests print it).
            console = logs / "console.log"
            raise NodeError(f"node {name!r} exited with {proc.returncode}; see {console}")
        if answers(url):
            log(f"node {name!r} ready at {url} (pid {proc.pid}, OpenSearch {version})")
            return url
        time.sleep(0.5)
    stop(name, kill=True)
    raise NodeError(f"node {name!r} did not answer on {url} within {START_TIMEOUT_S:.0f}s")


def stop(name: str, kill: bool = False) -> None:
    state = read_state(name)
    if state is None or not pid_alive(state["pid"]):
        log(f"node {name!r} is not running")
        return
    pid = state["pid"]
    os.kill(pid, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + 60
    while pid_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
        time.sleep(0.2)
        # Reap it when it is our own child (tests start and stop in one process).
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    log(f"node {name!r} {'killed' if kill else 'stopped'} (pid {pid})")


def url_if_up(name: str) -> str | None:
    """The node's URL when it runs and answers, else None."""
    state = read_state(name)
    up = bool(state and pid_alive(state["pid"]) and answers(state["url"]))
    return str(state["url"]) if up and state else None


def parse_settings(pairs: list[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise NodeError(f"--setting takes key=value, got {pair!r}")
        settings[key.strip()] = value.strip()
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog=PROG,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--name", default="default", help="node name (own config and data)")
    parser.add_argument(
        "--port", type=int, default=0,
        help="HTTP port on 127.0.0.1; default: the node's previous port if free, else a free one",
    )
    parser.add_argument("--heap", default=DEFAULT_HEAP)
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra opensearch.yml setting, e.g. thread_pool.write.queue_size=2",
    )
    parser.add_argument("--kill", action="store_true", help="stop with SIGKILL (crash test)")
    parser.add_argument("--version", default=VERSION, help="OpenSearch version")
    args = parser.parse_args(argv)
    try:
        settings = parse_settings(args.setting)
    except NodeError as exc:
        parser.error(str(exc))
    try:
        if args.command == "start":
            print(start(args.name, args.port, args.heap, settings, args.version))
        elif args.command == "stop":
            stop(args.name, kill=args.kill)
        else:
            url = url_if_up(args.name)
            print(f"{args.name}: {'up at ' + url if url else 'down'}")
            return Exit.OK if url else Exit.NOTHING_FOUND
    except NodeError as exc:
        log(str(exc))
        return Exit.RUNTIME
    return Exit.OK
