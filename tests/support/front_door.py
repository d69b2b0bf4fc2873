"""An emulation of Amazon OpenSearch Service's front door, in front of a real local node.

The tests talk to a plain-http OpenSearch node; Amazon OpenSearch Service admits a request
only when it is signed (SigV4) for the domain's region and service ``es`` and the caller is
authorised by the domain access policy (and, for principals that have one, their IAM
identity policy). This proxy enforces that documented contract, so a forwarder that signs
for the wrong region, or a policy that grants too little or too much, fails a test here
instead of in an AWS account.

Authentication (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/request-signing.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
the signature is recomputed with botocore's own signer (``SigV4Auth.canonical_request`` /
``string_to_sign`` / ``signature``) over the exact bytes received (a gzip body is hashed
compressed, as sent); the credential scope must be ``<date>/<domain region>/es/aws4_request``,
``x-amz-date`` within 5 minutes of now, ``x-amz-content-sha256`` (when sent) the body's
hash, and a key issued with a session token must present that token.

Authorisation (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/ac.html):
action ``es:ESHttp<Method>`` on ``arn:aws:es:<region>:<account>:domain/<name>/<path>``
(path without the query). Both policies are evaluated with moto's IAM evaluator
(``moto.iam.access_control.IAMPolicy``); the resource policy's ``Principal`` is matched
here (moto only knows ``*``): a role ARN names its assumed-role sessions, an account
(``123456789012`` or ``arn:aws:iam::123456789012:root``) every principal of it.
Admitted when nothing denies and
- the caller is of another account: both policies allow (cross-account rule);
- the caller is the forwarder role (``Identity.both_policies``): BOTH allow. AWS would
  take either (same-account union); requiring both makes the program's two policies
  (domain access policy and the role's own) agree with each other;
- any other caller of the domain's account: either allows (AWS's same-account union).
Every decision is recorded (``FrontDoor.decisions``), so a test of a refusal can also
check that neither policy allowed the call, i.e. AWS's union rule refuses it too.

Fine-grained access control (``proxy_auth``): the admitted caller is passed on to the node as
Amazon OpenSearch Service passes an IAM principal to the security plugin, a user named by its
IAM ARN whose backend role is its IAM role's ARN
(https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html#fgac-mapping),
through the plugin's trusted-proxy headers (``x-forwarded-for``, ``x-proxy-user``,
``x-proxy-roles``; tests/support/secure_node.py). Whatever a client sends in those headers
is dropped first, always: only the front door speaks for a caller.

Refusals are answered with the service's status and JSON bodies (texts as AWS returns
them, e.g. https://github.com/vectordotdev/vector/issues/2403 for the region,
https://github.com/DavidMuller/aws-requests-auth/issues/31 for the signature,
https://github.com/aws/serverless-application-model/issues/3704 for anonymous callers,
https://github.com/amazon-archives/aws-lambda-zombie-workshop/issues/54 for an
authenticated caller).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import http.server
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.iam.access_control import IAMPolicy, PermissionResult

SERVICE = "es"
MAX_SKEW_S = 5 * 60  # SigV4: a request is valid for 5 minutes around its x-amz-date
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[a-z0-9;._-]+), ?"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
# Not passed on to the node: hop-by-hop headers (RFC 9110 7.6.1) and the caller's keys.
_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
        "upgrade", "authorization", "x-amz-security-token", "host"}
_CHUNK = 64 * 1024
# The security plugin's trusted-proxy headers: set only by the front door.
PROXY_HEADERS = ("x-forwarded-for", "x-proxy-user", "x-proxy-roles")


@dataclass(frozen=True)
class Identity:
    """A caller: its keys and who AWS says it is."""

    name: str
    access_key: str
    secret_key: str
    principal_arn: str  # as IAM reports it: assumed-role session, user
    account: str
    identity_policy: dict[str, Any] | None = None
    token: str | None = None
    both_policies: bool = False  # the program writes both policies: they must agree

    def credentials(self) -> Credentials:
        return Credentials(self.access_key, self.secret_key, self.token)


@dataclass(frozen=True)
class Decision:
    method: str
    path: str
    caller: str  # identity name, "anonymous", or "" when authentication failed
    action: str
    resource: str
    resource_policy: PermissionResult | None  # None: not evaluated (not authenticated)
    identity_policy: PermissionResult | None  # None: the caller has no identity policy
    status: int
    message: str = ""

    @property
    def admitted(self) -> bool:
        return self.status == 0

    @property
    def allowed_by_neither(self) -> bool:
        """Refused under AWS's same-account union rule too: no policy allowed it."""
        return (self.resource_policy is not PermissionResult.PERMITTED
                and self.identity_policy is not PermissionResult.PERMITTED)


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, str]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def assumed_role_session(role_arn: str, session: str) -> str:
    """The ARN IAM reports for a session of ``role_arn`` (what Lambda's role calls are)."""
    head, _, name = role_arn.partition(":role/")
    account = head.rsplit(":", 1)[-1]
    return f"arn:aws:sts::{account}:assumed-role/{name.rsplit('/', 1)[-1]}/{session}"


def principal_matches(entry: str, caller_arn: str, caller_account: str) -> bool:
    """Does a resource policy's ``Principal.AWS`` entry name the caller?

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html:
    a role ARN names the role's sessions; an account id or its root ARN the whole account.
    """
    if entry == "*" or entry == caller_arn:
        return True
    if entry in (caller_account, f"arn:aws:iam::{caller_account}:root"):
        return True
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([^/]+)", entry)
    if m:
        return caller_arn.startswith(f"arn:aws:sts::{m[1]}:assumed-role/{m[2]}/")
    return False


def _names_caller(principal: Any, caller_arn: str | None, account: str | None) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    entries = principal.get("AWS", [])
    entries = [entries] if isinstance(entries, str) else list(entries)
    if caller_arn is None:  # anonymous: only a wildcard principal names it
        return "*" in entries
    return any(principal_matches(e, caller_arn, account or "") for e in entries)


def resource_policy_result(policy: dict[str, Any], action: str, resource: str,
                           caller_arn: str | None, account: str | None) -> PermissionResult:
    """The domain access policy's verdict for this caller (statements naming it only)."""
    statements = policy["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    own = [{k: v for k, v in s.items() if k != "Principal"} for s in statements
           if _names_caller(s.get("Principal"), caller_arn, account)]
    if not own:
        return PermissionResult.NEUTRAL
    doc = json.dumps({"Version": policy.get("Version", "2012-10-17"), "Statement": own})
    return IAMPolicy(doc).is_action_permitted(action, resource)


def proxy_identity(principal_arn: str) -> tuple[str, list[str]]:
    """(user, backend roles) the service gives the security plugin for an IAM principal: a
    role's session is the role (its ARN, also its one backend role); a user is its ARN."""
    m = re.fullmatch(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.+", principal_arn)
    if m:
        role = f"arn:aws:iam::{m[1]}:role/{m[2]}"
        return role, [role]
    return principal_arn, []


def identity_policy_result(policy: dict[str, Any] | None, action: str,
                           resource: str) -> PermissionResult | None:
    if policy is None:
        return None
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)


@dataclass
class FrontDoor:
    """The proxy: ``start()`` it, send requests to ``url``, ``stop()`` it."""

    upstream: str  # http://127.0.0.1:PORT of the real node
    region: str  # the domain's region: the only valid credential scope
    account: str
    domain_name: str
    access_policy: dict[str, Any]
    identities: Sequence[Identity]
    clock: Callable[[], float] = time.time
    proxy_auth: bool = False  # pass the caller on to the security plugin (secured node)
    decisions: list[Decision] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: http.server.ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self._by_key = {i.access_key: i for i in self.identities}
        parts = urlsplit(self.upstream)
        self._up_host, self._up_port = parts.hostname or "127.0.0.1", parts.port or 80
        self._local = threading.local()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FrontDoor:
        door = self

        class Handler(_Handler):
            front_door = door

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="front-door",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def domain_arn(self) -> str:
        return f"arn:aws:es:{self.region}:{self.account}:domain/{self.domain_name}"

    def identity(self, name: str) -> Identity:
        return next(i for i in self.identities if i.name == name)

    def decisions_since(self, mark: int) -> list[Decision]:
        with self._lock:
            return self.decisions[mark:]

    def mark(self) -> int:
        with self._lock:
            return len(self.decisions)

    def _record(self, decision: Decision) -> None:
        with self._lock:
            self.decisions.append(decision)

    # -- the checks -----------------------------------------------------------------------

    def admit(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Decision:
        """Authenticate and authorise one request; raises Refused (and records it)."""
        path = urlsplit(target).path
        action = f"es:ESHttp{method.capitalize()}"
        # The IAM resource of a request is the domain ARN + its path, decoded, no query.
        resource = f"{self.domain_arn}/{unquote(path).lstrip('/')}"
        caller: Identity | None = None
        try:
            caller = self._authenticate(method, target, headers, body)
        except Refused as exc:
            self._record(Decision(method, path, "", action, resource, None, None, exc.status,
                                  next(iter(exc.body.values()))))
            raise
        if caller is None:
            res = resource_policy_result(self.access_policy, action, resource, None, None)
            ident = None
            admitted = res is PermissionResult.PERMITTED
            who = "anonymous"
        else:
            res = resource_policy_result(self.access_policy, action, resource,
                                         caller.principal_arn, caller.account)
            ident = identity_policy_result(caller.identity_policy, action, resource)
            admitted = self._allowed(caller, res, ident)
            who = caller.principal_arn
        if not admitted:
            # https://github.com/aws/serverless-application-model/issues/3704 (anonymous),
            # https://github.com/amazon-archives/aws-lambda-zombie-workshop/issues/54
            # (an authenticated caller: "... on resource: <domain name>").
            if caller is None:
                text = (f"User: anonymous is not authorized to perform: {action} because no "
                        f"resource-based policy allows the {action} action")
            else:
                text = (f"User: {who} is not authorized to perform: {action} on resource: "
                        f"{self.domain_name}")
            decision = Decision(method, path, caller.name if caller else "anonymous", action,
                                resource, res, ident, 403, text)
            self._record(decision)
            raise Refused(403, {"Message": text})
        decision = Decision(method, path, caller.name if caller else "anonymous", action,
                            resource, res, ident, 0)
        self._record(decision)
        return decision

    def _allowed(self, caller: Identity, res: PermissionResult,
                 ident: PermissionResult | None) -> bool:
        if PermissionResult.DENIED in (res, ident):
            return False
        both = res is PermissionResult.PERMITTED and ident is PermissionResult.PERMITTED
        if caller.account != self.account or caller.both_policies:
            return both
        return PermissionResult.PERMITTED in (res, ident)

    def _authenticate(self, method: str, target: str, headers: dict[str, str],
                      body: bytes) -> Identity | None:
        """The caller's identity; None for an unsigned request (anonymous)."""
        auth = headers.get("authorization")
        if auth is None:
            return None
        m = _AUTH.match(auth)
        if m is None:
            raise Refused(403, {"message": "Authorization header requires 'Credential', "
                                           "'Signature' and 'SignedHeaders' parameters."})
        if m["service"] != SERVICE:
            raise Refused(403, {"message": f"Credential should be scoped to correct service: "
                                           f"'{SERVICE}'. "})
        if m["region"] != self.region:
            raise Refused(403, {"message": "Credential should be scoped to a valid region, "
                                           f"not '{m['region']}'. "})
        amz_date = headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise Refused(403, {"message": "Authorization header requires existence of either "
                                           "a 'X-Amz-Date' or a 'Date' header."}) from None
        if m["date"] != amz_date[:8]:
            raise Refused(403, {"message": f"Credential should be scoped to a valid date, "
                                           f"not '{m['date']}'. "})
        self._check_time(signed_at.timestamp(), amz_date)
        caller = self._by_key.get(m["key"])
        if caller is None or caller.token != headers.get("x-amz-security-token"):
            # An unknown key, or a session key without (or with a wrong) token.
            raise Refused(403, {"message": "The security token included in the request is "
                                           "invalid."})
        signed = m["signed"].split(";")
        if "host" not in signed or (caller.token and "x-amz-security-token" not in signed):
            raise _mismatch()
        sent_hash = headers.get("x-amz-content-sha256")
        if sent_hash is not None and sent_hash != hashlib.sha256(body).hexdigest():
            raise Refused(400, {"message": "The provided 'x-amz-content-sha256' header does "
                                           "not match what was computed."})
        expected = self._signature(caller, method, target, headers, signed, body, amz_date)
        if not hmac.compare_digest(expected, m["sig"]):
            raise _mismatch()
        return caller

    def _check_time(self, signed_at: float, amz_date: str) -> None:
        now = self.clock()
        fmt = "%Y%m%dT%H%M%SZ"

        def stamp(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime(fmt)

        if signed_at < now - MAX_SKEW_S:
            raise Refused(403, {"message": f"Signature expired: {amz_date} is now earlier than "
                                           f"{stamp(now - MAX_SKEW_S)} ({stamp(now)} - 5 min.)"})
        if signed_at > now + MAX_SKEW_S:
            raise Refused(403, {"message": f"Signature not yet current: {amz_date} is still "
                                           f"later than {stamp(now + MAX_SKEW_S)} "
                                           f"({stamp(now)} + 5 min.)"})

    def _signature(self, caller: Identity, method: str, target: str, headers: dict[str, str],
                   signed: Iterable[str], body: bytes, amz_date: str) -> str:
        """The signature botocore computes for this request with the caller's secret."""
        host = headers.get("host", "")
        parts = urlsplit(target)
        # The canonical query string is built from the decoded names and values, encoded
        # again (RFC 3986), whatever encoding the client sent: given as params, botocore
        # does exactly that.
        request = AWSRequest(method=method, url=f"http://{host}{parts.path}", data=body,
                             params=parse_qsl(parts.query, keep_blank_values=True),
                             headers={name: headers.get(name, "") for name in signed})
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(caller.credentials(), SERVICE, self.region)
        canonical = signer.canonical_request(request)
        # A header the caller signed but botocore never signs (user-agent, expect...)
        # changes the signed-header list: that request cannot verify, as on AWS.
        if signer.signed_headers(signer.headers_to_sign(request)) != ";".join(signed):
            return ""
        return signer.signature(signer.string_to_sign(request, canonical), request)

    # -- forwarding -----------------------------------------------------------------------

    def upstream_connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or fresh:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection(self._up_host, self._up_port, timeout=300)
            self._local.conn = conn
        return conn


def _mismatch() -> Refused:
    return Refused(403, {"message": "The request signature we calculated does not match the "
                                    "signature you provided. Check your AWS Secret Access Key "
                                    "and signing method. Consult the service documentation "
                                    "for details."})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its own timeout) before the node answered is normal in
        # the fault tests: not worth a traceback. Anything else is still reported.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    front_door: FrontDoor
    protocol_version = "HTTP/1.1"  # keep-alive, as the service's endpoint

    def log_message(self, *args: Any) -> None:  # the tests' output stays quiet
        pass

    def _handle(self) -> None:
        door = self.front_door
        headers = {k.lower(): v for k, v in self.headers.items()}
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
        try:
            decision = door.admit(self.command, self.path, headers, body)
        except Refused as exc:
            self._reply(exc.status, json.dumps(exc.body).encode())
            return
        self._forward(headers, body, decision)

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.send_header("x-amzn-requestid", str(uuid.uuid4()))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _forward(self, headers: dict[str, str], body: bytes, decision: Decision) -> None:
        door = self.front_door
        out = {k: v for k, v in headers.items() if k not in _HOP and k not in PROXY_HEADERS}
        out = {k: v for k, v in out.items() if not k.startswith("x-proxy-")}
        if door.proxy_auth and decision.caller != "anonymous":
            user, roles = proxy_identity(door.identity(decision.caller).principal_arn)
            out["x-forwarded-for"] = self.client_address[0]
            out["x-proxy-user"] = user
            if roles:
                out["x-proxy-roles"] = ",".join(roles)
        out["content-length"] = str(len(body))
        for attempt in (0, 1):
            conn = door.upstream_connection(fresh=attempt == 1)
            try:
                conn.request(self.command, self.path, body=body, headers=out)
                resp = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                if attempt:  # the node is gone: answer as a load balancer would
                    self._reply(502, b'{"message":"node unreachable"}')
                    return
            except OSError:
                door.upstream_connection(fresh=True)
                self._reply(502, b'{"message":"node unreachable"}')
                return
        self.send_response(resp.status, resp.reason)
        length = resp.getheader("content-length")
        data = None if length is not None or self.command == "HEAD" else resp.read()
        for name, value in resp.getheaders():
            if name.lower() not in _HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("content-length", length if data is None else str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            resp.read()
            return
        if data is not None:
            self.wfile.write(data)
            return
        # Streamed: the node's answer goes out as it arrives, never held whole.
        left = int(length or 0)
        while left > 0:
            chunk = resp.read(min(_CHUNK, left))
            if not chunk:
                break
            self.wfile.write(chunk)
            left -= len(chunk)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle


# ---------------------------------------------------------------------------------------
# The deployment the front door stands for: taken from the program run under mocks.

ADMIN_ROLE = "arn:aws:iam::123456789012:role/edgelogs-admin"
OPERATOR_ROLE = "arn:aws:iam::123456789012:role/edgelogs-operator"
STRANGER_ACCOUNT = "210987654321"


@dataclass(frozen=True)
class Deployment:
    """What the program produced for one config: never retyped by a test."""

    region: str  # the domain's (home) region
    account: str
    domain_name: str
    access_policy: dict[str, Any]  # the Domain's accessPolicies input
    role_arn: str
    role_policy: dict[str, Any]  # the forwarder RolePolicy's policy input
    forwarder_env: dict[str, dict[str, str]]  # region -> the function's environment
    advanced_options: dict[str, str]
    dashboards_role_arn: str | None = None  # Cognito's role for signed-in Dashboards users
    operator_policy: dict[str, Any] | None = None  # the OperatorPolicy's document
    setup_role_arn: str | None = None  # the domain setup's role: the master user
    advanced_security: dict[str, Any] | None = None  # the Domain's advancedSecurityOptions
    setup_input: dict[str, Any] | None = None  # what the stack invokes the setup with


def deployment_from_program(config: dict[str, Any], stack: str = "dev") -> Deployment:
    """Run __main__.py under the deploy tests' mocks and keep what the front door needs."""
    import tempfile
    from pathlib import Path

    from tests.deploy.harness import ACCOUNT, fake_bundle, run_program
    from tests.deploy.tokens import (
        DOMAIN,
        FORWARDER_ROLE,
        FUNCTION,
        IAM_POLICY,
        INVOCATION,
        OPERATOR_POLICY,
        REGIONAL_FORWARDER,
        ROLE,
        ROLE_POLICY,
    )

    with tempfile.TemporaryDirectory() as tmp:
        run = run_program(config, bundle=fake_bundle(Path(tmp)), stack=stack)
    (domain,) = run.of_type(DOMAIN)
    role = run.one(ROLE, "forwarder-role")
    (role_policy,) = run.of_type(ROLE_POLICY, parent=FORWARDER_ROLE)
    envs = {f.region or "": dict(f.inputs["environment"]["variables"])
            for f in run.of_type(FUNCTION, parent=REGIONAL_FORWARDER)}
    (operator,) = run.of_type(IAM_POLICY, parent=OPERATOR_POLICY)
    # The role Cognito gives signed-in Dashboards users (dashboards.auth cognito, the default).
    dashboards = [r.outputs["arn"] for r in run.of_type(ROLE)
                  if r.name == "dashboards-authenticated-role"]
    setup_role = run.one(ROLE, "domain-setup-role")
    (invocation,) = run.of_type(INVOCATION)
    return Deployment(
        region=domain.region or "", account=ACCOUNT, domain_name=domain.inputs["domainName"],
        access_policy=json.loads(domain.inputs["accessPolicies"]),
        role_arn=role.outputs["arn"], role_policy=json.loads(role_policy.inputs["policy"]),
        forwarder_env=envs, advanced_options=dict(domain.inputs.get("advancedOptions") or {}),
        dashboards_role_arn=dashboards[0] if dashboards else None,
        operator_policy=json.loads(operator.inputs["policy"]),
        setup_role_arn=setup_role.outputs["arn"],
        advanced_security=domain.inputs.get("advancedSecurityOptions"),
        setup_input=json.loads(invocation.inputs["input"]),
    )


def _key(prefix: str, name: str) -> tuple[str, str]:
    digest = hashlib.sha256(name.encode()).hexdigest().upper()
    return prefix + digest[:16], hashlib.sha256(b"secret" + name.encode()).hexdigest()[:40]


def caller_table(dep: Deployment) -> list[Identity]:
    """The callers the tests use (keys made up here; the principals are the program's).

    - ``forwarder-<region>``: a session of the forwarder role in each region (Lambda signs
      with temporary keys and a session token), with the role's inline policy;
    - ``admin``: a session of a role listed in adminPrincipals; the program gives admins
      no identity policy, only the domain policy's grant;
    - ``operator``: a session of a role of the domain's account with the stack's operator
      policy attached (the program's OperatorPolicy: what scripts/replay and backfill need);
    - ``dashboards-user``: a session of the role Cognito gives signed-in Dashboards users
      (no identity policy: only the domain policy's readers' statements);
    - ``stranger``: a user of another account whose own policy allows ``es:*`` on
      everything: refused because the domain policy does not name it (cross-account
      access needs both policies), so its own generosity cannot help it;
    - ``nobody``: a user of the domain's account with no policy for es at all.
    """
    out = []
    for region in sorted(dep.forwarder_env):
        key, secret = _key("ASIA", f"forwarder-{region}")
        out.append(Identity(
            f"forwarder-{region}", key, secret,
            assumed_role_session(dep.role_arn, dep.role_arn.rsplit("/", 1)[-1]), dep.account,
            dep.role_policy, token=f"token-{region}-{secret[:8]}", both_policies=True))
    # An operator running scripts/replay or scripts/backfill: a role of the domain's account
    # with the stack's operator policy attached (its only grant on the domain).
    key, secret = _key("ASIA", "operator")
    out.append(Identity("operator", key, secret, assumed_role_session(OPERATOR_ROLE, "bob"),
                        dep.account, dep.operator_policy, token="token-operator"))
    key, secret = _key("ASIA", "admin")
    out.append(Identity("admin", key, secret, assumed_role_session(ADMIN_ROLE, "alice"),
                        dep.account, None, token="token-admin"))
    if dep.dashboards_role_arn:
        # A Dashboards user signed in through Cognito: the identity pool hands out sessions
        # of the authenticated role, which has no IAM policy of its own.
        key, secret = _key("ASIA", "dashboards-user")
        out.append(Identity(
            "dashboards-user", key, secret,
            assumed_role_session(dep.dashboards_role_arn, "CognitoIdentityCredentials"),
            dep.account, None, token="token-dashboards-user"))
    if dep.setup_role_arn:
        # The domain setup function (the master user): a session of its role, with the
        # role's own policy.
        key, secret = _key("ASIA", "setup")
        out.append(Identity(
            "setup", key, secret,
            assumed_role_session(dep.setup_role_arn, dep.setup_role_arn.rsplit("/", 1)[-1]),
            dep.account, None, token="token-setup"))
    key, secret = _key("AKIA", "stranger")
    out.append(Identity(
        "stranger", key, secret, f"arn:aws:iam::{STRANGER_ACCOUNT}:user/stranger",
        STRANGER_ACCOUNT,
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "es:*", "Resource": "*"}]}))
    key, secret = _key("AKIA", "nobody")
    out.append(Identity("nobody", key, secret, f"arn:aws:iam::{dep.account}:user/nobody",
                        dep.account, None))
    return out


def front_door_for(upstream: str, dep: Deployment, proxy_auth: bool = False) -> FrontDoor:
    return FrontDoor(upstream, dep.region, dep.account, dep.domain_name, dep.access_policy,
                     caller_table(dep), proxy_auth=proxy_auth)


def send(url: str, method: str, path: str, body: Any = None, identity: Identity | None = None,
         region: str | None = None, ndjson: bool = False,
         timeout: float = 120) -> tuple[int, Any]:
    """One request to ``url`` (the front door), signed as ``identity`` for ``region``
    (unsigned without an identity); returns (status, decoded JSON body)."""
    import urllib.error
    import urllib.request

    if body is None:
        data = b""
    elif isinstance(body, bytes):
        data = body
    elif ndjson:
        data = "".join(json.dumps(line) + "\n" for line in body).encode()
    else:
        data = json.dumps(body).encode()
    headers = {"content-type": "application/x-ndjson" if ndjson else "application/json"}
    full = f"{url}/{path.lstrip('/')}"
    if identity is not None:
        request = AWSRequest(method=method, url=full, data=data, headers=headers)
        SigV4Auth(identity.credentials(), SERVICE, region or "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    req = urllib.request.Request(full, data=data if method not in ("GET", "HEAD") or data
                                 else None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    if not raw.strip():
        return status, None
    try:
        return status, json.loads(raw)
    except ValueError:  # _cat and other text answers
        return status, raw.decode("utf-8", "replace")
