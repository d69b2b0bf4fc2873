"""A real OpenSearch node with OpenSearch's own security plugin, as Amazon OpenSearch Service
runs it with fine-grained access control.

OpenSearch 2.19.4 (the integ-test-zip) with ``org.opensearch.plugin:opensearch-security:2.19.4.0``
(the plugin only loads into the exact version it was built for) and the ``reindex`` module
(``org.opensearch.plugin:reindex-client``: the integ-test-zip has none, so ``_reindex`` would
answer 400 before any permission check). Everything lives in this checkout
(``.cache/secure``, see ``_cache``): its own distribution copy, so plain nodes never see the
plugin.

The node is started by edgelogs node (ops/node.py) (``EDGELOGS_CACHE`` points it at the copy),
with the security settings passed as ``--setting``:

- transport TLS (mandatory) with a CA, node certificate and key that openssl makes here;
  HTTP stays plain on 127.0.0.1 (the front door stands for the service's TLS endpoint);
- the YAML under ``config/opensearch-security/`` is loaded once, when the security index is
  created, so every start wipes the node's data: each session begins with an EMPTY security
  configuration apart from what an Amazon OpenSearch Service domain has on day one — the
  master user, mapped (by backend role = its IAM role ARN) to ``all_access`` and
  ``security_manager`` (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-master-user);
- authentication is the plugin's trusted-proxy mode: only a request from 127.0.0.1 (the front
  door) that carries ``x-forwarded-for`` and ``x-proxy-user`` is authenticated, as that user
  with the backend roles in ``x-proxy-roles``. The front door sets them from the SigV4-verified
  principal and drops any a client sent (tests/support/front_door.py);
- anonymous requests may only read cluster health: the start script waits on
  ``GET _cluster/health`` without credentials. The domain the program deploys has anonymous
  access off (components/search_domain.py); this node's direct port is reached by nobody but
  the script and the front door.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ops import node

REPO = Path(__file__).resolve().parents[2]
VERSION = "2.19.4"
SECURITY = f"org.opensearch.plugin:opensearch-security:{VERSION}.0:zip"
REINDEX = f"org.opensearch.plugin:reindex-client:{VERSION}"
DISTRIBUTION = f"org.opensearch.distribution.integ-test-zip:opensearch:{VERSION}:zip"


def _cache() -> Path:
    """This checkout's own files, readable by the node's user: run as root from a checkout
    others cannot traverse (under /root, say), a folder named after the checkout's path
    instead, as edgelogs node (ops/node.py) does for its own cache."""
    if os.geteuid() != 0 or all(p.stat().st_mode & 0o001 for p in (REPO, *REPO.parents)):
        return REPO / ".cache" / "secure"
    import hashlib

    return Path(f"/var/tmp/edgelogs-{hashlib.sha256(str(REPO).encode()).hexdigest()[:12]}-secure")


CACHE = _cache()
HOME = CACHE / "opensearch" / f"opensearch-{VERSION}"
READY_MARK = HOME / ".edgelogs-secure-ready"

# Certificate subjects: one RDN each, so no comma has to survive the start script's
# --setting key=value parsing (a list setting given one string is a one-element list).
NODE_DN = "CN=edgelogs-test-node"
ADMIN_DN = "CN=edgelogs-test-admin"
# The master user of the test domain: what components/domain_setup.py makes the master.
MASTER_ROLE_ARN = "arn:aws:iam::123456789012:role/edgelogs-dev-domain-setup"
HEALTH_ROLE = "edgelogs_test_health"

SETTINGS: dict[str, str] = {
    "plugins.security.ssl.transport.pemcert_filepath": "node.pem",
    "plugins.security.ssl.transport.pemkey_filepath": "node-key.pem",
    "plugins.security.ssl.transport.pemtrustedcas_filepath": "root-ca.pem",
    "plugins.security.ssl.transport.enforce_hostname_verification": "false",
    "plugins.security.ssl.http.enabled": "false",
    "plugins.security.allow_default_init_securityindex": "true",
    "plugins.security.nodes_dn": NODE_DN,
    "plugins.security.authcz.admin_dn": ADMIN_DN,
    "plugins.security.restapi.roles_enabled": "all_access",
    "plugins.security.check_snapshot_restore_write_privileges": "true",
    "plugins.security.system_indices.enabled": "true",
}


class SecureNodeError(RuntimeError):
    pass


def _run(cmd: list[str], what: str, **kw: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SecureNodeError(f"{what} failed ({result.returncode}): "
                              f"{(result.stderr or result.stdout)[-2000:]}")
    return result


def _mvn_copy(artifact: str, out: Path) -> None:
    _run(["mvn", "-q", "-B", "dependency:copy", f"-Dartifact={artifact}",
          f"-DoutputDirectory={out}"], f"fetching {artifact} with Maven")


def _java_home() -> str:
    for candidate in ("/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/openjdk-17"):
        if Path(candidate, "bin", "java").exists():
            return candidate
    java = shutil.which("java")
    if java is None:
        raise SecureNodeError("no Java found to install the security plugin")
    return str(Path(java).resolve().parent.parent)


def _install(home: Path, downloads: Path) -> None:
    env = {**os.environ, "JAVA_HOME": _java_home(), "OPENSEARCH_PATH_CONF": str(home / "config")}
    zip_path = downloads / f"opensearch-security-{VERSION}.0.zip"
    _run([str(home / "bin" / "opensearch-plugin"), "install", "--batch", f"file://{zip_path}"],
         "installing the security plugin", env=env)
    # The reindex module with its runtime dependencies, minus what the core already ships
    # (a second copy of a jar is refused at start: "jar hell").
    pom = downloads / "pom.xml"
    pom.write_text(
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local</groupId><artifactId>reindex-module</artifactId><version>1</version>"
        "<dependencies><dependency><groupId>org.opensearch.plugin</groupId>"
        f"<artifactId>reindex-client</artifactId><version>{VERSION}</version></dependency>"
        "</dependencies></project>")
    jars = downloads / "reindex"
    _run(["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
          "-DincludeScope=runtime", f"-DoutputDirectory={jars}"], f"fetching {REINDEX}")
    core = {p.name.rsplit("-", 1)[0] for p in (home / "lib").glob("*.jar")}
    module = home / "modules" / "reindex"
    module.mkdir(parents=True, exist_ok=True)
    for jar in sorted(jars.glob("*.jar")):
        if jar.name.rsplit("-", 1)[0] not in core:
            shutil.copy2(jar, module / jar.name)
    (module / "plugin-descriptor.properties").write_text(
        "description=The Reindex module adds APIs to reindex from one index to another\n"
        f"version={VERSION}\nname=reindex\nclassname=org.opensearch.index.reindex.ReindexPlugin\n"
        f"java.version=11\nopensearch.version={VERSION}\nextended.plugins=\n"
        "has.native.controller=false\n")


def _certificates(conf: Path) -> None:
    """A root CA and a node certificate (serverAuth + clientAuth, SAN 127.0.0.1), PKCS#8 keys."""
    work = CACHE / "certs"
    work.mkdir(parents=True, exist_ok=True)

    def ssl(*args: str) -> None:
        _run(["openssl", *args], f"openssl {args[0]}", cwd=work)

    ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "ca-key.pem")
    ssl("req", "-x509", "-new", "-key", "ca-key.pem", "-subj", "/CN=edgelogs-test-ca",
        "-days", "3650", "-sha256", "-out", "root-ca.pem")
    ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
        "node-key.pem")
    ssl("req", "-new", "-key", "node-key.pem", "-subj", f"/{NODE_DN}", "-out", "node.csr")
    (work / "node.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        "keyUsage=digitalSignature,keyEncipherment\n")
    ssl("x509", "-req", "-in", "node.csr", "-CA", "root-ca.pem", "-CAkey", "ca-key.pem",
        "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", "node.ext", "-out", "node.pem")
    for name in ("root-ca.pem", "node.pem", "node-key.pem"):
        shutil.copy2(work / name, conf / name)


def security_yaml() -> dict[str, str]:
    """The plugin's configuration files (JSON is YAML): proxy authentication, the master's
    mapping, and nothing else (no demo users, no role mapped to everyone)."""
    import json

    def doc(kind: str, body: dict[str, object]) -> str:
        return json.dumps({"_meta": {"type": kind, "config_version": 2}, **body}, indent=1)

    config = {"config": {"dynamic": {
        "http": {"anonymous_auth_enabled": True,
                 "xff": {"enabled": True, "internalProxies": r"127\.0\.0\.1",
                         "remoteIpHeader": "x-forwarded-for"}},
        "authc": {"proxy_auth_domain": {
            "http_enabled": True, "transport_enabled": False, "order": 0,
            "http_authenticator": {"type": "proxy", "challenge": False, "config": {
                "user_header": "x-proxy-user", "roles_header": "x-proxy-roles"}},
            "authentication_backend": {"type": "noop"}}},
    }}}
    return {
        "config.yml": doc("config", config),
        "internal_users.yml": doc("internalusers", {}),
        "action_groups.yml": doc("actiongroups", {}),
        "tenants.yml": doc("tenants", {}),
        "nodes_dn.yml": doc("nodesdn", {}),
        "roles.yml": doc("roles", {HEALTH_ROLE: {
            "description": "test node only: lets the start script see cluster health",
            "cluster_permissions": ["cluster:monitor/health"]}}),
        "roles_mapping.yml": doc("rolesmapping", {
            "all_access": {"backend_roles": [MASTER_ROLE_ARN]},
            "security_manager": {"backend_roles": [MASTER_ROLE_ARN]},
            HEALTH_ROLE: {"backend_roles": ["opendistro_security_anonymous_backendrole"]},
        }),
    }


def prepare() -> Path:
    """The distribution with the plugin, the module, certificates and security YAML."""
    if READY_MARK.exists() and all((HOME / "modules" / m[0]).is_dir() for m in node.MODULES):
        return HOME
    downloads = CACHE / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    dist_zip = downloads / f"opensearch-{VERSION}.zip"
    if not dist_zip.exists():
        _mvn_copy(DISTRIBUTION, downloads)
    if not (downloads / f"opensearch-security-{VERSION}.0.zip").exists():
        _mvn_copy(SECURITY, downloads)
    tmp = CACHE / "opensearch" / ".unpack"
    shutil.rmtree(HOME, ignore_errors=True)
    home = node.unpack(dist_zip, tmp, VERSION)
    node.add_modules(home, VERSION)  # analysis-common, as every domain has
    _install(home, downloads)
    conf = home / "config"
    _certificates(conf)
    sec = conf / "opensearch-security"
    sec.mkdir(exist_ok=True)
    for name in ("whitelist.yml", "allowlist.yml", "audit.yml"):
        (sec / name).unlink(missing_ok=True)  # defaults apply: audit off, no allowlist
    for name, text in security_yaml().items():
        (sec / name).write_text(text)
    home.rename(HOME)
    shutil.rmtree(tmp, ignore_errors=True)
    node.make_readable(tree=CACHE)
    READY_MARK.write_text("ok\n")
    return HOME


def _script(*args: str) -> str:
    env = {**os.environ, "EDGELOGS_CACHE": str(CACHE), "OPENSEARCH_VERSION": VERSION}
    # `python -m ops node` from the checkout: `edgelogs node` without needing the install.
    result = subprocess.run([sys.executable, "-m", "ops", "node", *args], capture_output=True,
                            text=True, timeout=600, env=env, cwd=REPO)
    if result.returncode != 0:
        log = CACHE / "opensearch" / "nodes"
        tails = [p.read_text(errors="replace")[-3000:] for p in log.glob("*/logs/console.log")]
        raise SecureNodeError(f"edgelogs node {' '.join(args)} failed: {result.stderr}\n"
                              + "\n".join(tails))
    return result.stdout


def start(name: str) -> str:
    """Start a fresh secured node (empty data: the security YAML loads) and return its URL."""
    prepare()
    node_dir = CACHE / "opensearch" / "nodes" / name
    _script("stop", "--name", name)
    shutil.rmtree(node_dir / "data", ignore_errors=True)
    repo = CACHE / "snapshots"
    repo.mkdir(parents=True, exist_ok=True)
    node.make_readable(tree=repo)
    if os.geteuid() == 0:
        import pwd

        with_user = os.environ.get("OPENSEARCH_RUN_AS", "edgelogs-os")
        try:
            user = pwd.getpwnam(with_user)
            os.chown(repo, user.pw_uid, user.pw_gid)
        except KeyError:  # created by the start script on its first run
            repo.chmod(0o777)
    # A snapshot repository the refusal tests can name (an fs repository needs path.repo).
    settings = {**SETTINGS, "path.repo": str(repo)}
    args = ["start", "--name", name, "--port", "0", "--heap", "512m"]
    for key, value in settings.items():
        args += ["--setting", f"{key}={value}"]
    return _script(*args).strip().splitlines()[-1]


def stop(name: str) -> None:
    _script("stop", "--name", name)


if __name__ == "__main__":  # python -m tests.support.secure_node: start one by hand
    print(start(sys.argv[1] if len(sys.argv) > 1 else "secure"))
