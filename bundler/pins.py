"""The exact pins a function's dependencies are installed from.

`--no-deps` plus the reviewed RUNTIME_DEPENDENCIES: opensearch-py 3.x declares
opensearch-protobufs (and through it grpcio and protobuf, about 25 MB) that the HTTP client
never imports; resolving normally would ship them to every region. Pinning the dependencies
of the pins too keeps the bundle (and its hash) from moving when one of them publishes a
release. tests/bundle re-checks the installed metadata, so a bump cannot leave one out.
"""

from __future__ import annotations

from pathlib import Path

# Run-time dependencies of the pins in lambda_src/requirements.txt. Reviewed against the
# Requires-Dist of opensearch-py 3.2.0, requests-aws4auth 1.4.0 and requests 2.34.2.
RUNTIME_DEPENDENCIES: tuple[str, ...] = (
    "requests==2.34.2",  # opensearch-py's HTTP connection and requests-aws4auth
    "urllib3==2.7.0",  # requests, opensearch-py
    "certifi==2026.5.20",  # requests, opensearch-py (CA bundle)
    "idna==3.13",  # requests
    "charset-normalizer==3.4.7",  # requests (without it requests warns on every import)
    "python-dateutil==2.9.0.post0",  # opensearch-py (helpers import it at package import)
    "six==1.17.0",  # python-dateutil
    "Events==0.5",  # opensearch-py (metrics)
)

# Declared but never imported by the forwarder: opensearch-py's gRPC transport only.
EXCLUDED_DEPENDENCIES: dict[str, str] = {
    "opensearch-protobufs": "gRPC transport of opensearch-py; the forwarder speaks HTTP only",
}


def read_pins(requirements: Path) -> list[str]:
    """The requirement lines of a requirements file; each must be an exact `name==version` pin."""
    pins: list[str] = []
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip() or any(c in line for c in "<>~;[@ "):
            raise ValueError(f"{requirements}: {raw!r} is not an exact pin (name==version)")
        pins.append(f"{name.strip()}=={version.strip()}")
    return pins


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def all_pins(requirements: Path) -> list[str]:
    """The function's own pins plus the reviewed run-time dependencies, sorted, no conflicts."""
    merged: dict[str, str] = {}
    for pin in [*read_pins(requirements), *RUNTIME_DEPENDENCIES]:
        name, _, version = pin.partition("==")
        key = _canonical(name)
        if key in EXCLUDED_DEPENDENCIES:
            raise ValueError(
                f"{pin} is pinned but excluded from the bundle: {EXCLUDED_DEPENDENCIES[key]}"
            )
        if merged.get(key, version) != version:
            raise ValueError(
                f"{name} pinned twice with different versions: {merged[key]} and {version}"
            )
        merged[key] = version
    return [f"{name}=={version}" for name, version in sorted(merged.items())]
