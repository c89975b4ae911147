"""Start and stop the local stack: the OAuth 2.0 authorization server and the gateway.

    from hoopstack.launcher import Stack
    with Stack(state_dir=tmpdir) as stack:
        stack.token_url, stack.gateway_url, stack.api_key, stack.clients["demo"]

Every start generates fresh keys, client secrets and an organisation API key. They live in the
state directory only (private files, mode 0600), together with stack.json, which describes the
running stack for other processes (``python tests/stack/hoopstack env``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from hoopstack.pki import create_pki, write_private

STACK_DIR = Path(__file__).resolve().parent.parent
AUTHSERVER_DIR = STACK_DIR / "authserver"
DEFAULT_CLIENTS_FILE = STACK_DIR / "clients.json"
DEMO_CLIENT = "demo"
STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0
POLL_INTERVAL = 0.02


class StackError(RuntimeError):
    """The stack could not be started or controlled; the message says why."""


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise StackError("node is not on PATH; install Node.js 20 or later to run the stack")
    return node


def ensure_node_modules(authserver_dir: Path = AUTHSERVER_DIR) -> None:
    """Install the authorization server's npm dependencies from its lockfile when missing.

    Parallel test workers may all get here at once; the lock makes one of them install while
    the others wait and then find the modules in place.
    """

    def installed() -> bool:
        wanted = json.loads((authserver_dir / "package.json").read_text())["dependencies"]
        try:
            have = json.loads(
                (authserver_dir / "node_modules" / "oidc-provider" / "package.json").read_text()
            )["version"]
        except (OSError, ValueError, KeyError):
            return False
        # The pin is exact, so a different version means the lockfile moved on.
        return have == wanted["oidc-provider"]

    if installed():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise StackError("npm is not on PATH; install Node.js 20 or later to run the stack")
    lock_path = Path(tempfile.gettempdir()) / f"hoopstack-npm-{os.getuid()}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=authserver_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(
                f"npm ci in {authserver_dir} failed (exit {result.returncode}):\n"
                f"{result.stderr.strip()[-2000:]}"
            )


def _set_parent_death_signal() -> None:
    # Children must not outlive a launcher that was killed without a chance to stop them.
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


def _public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


def _client_secret(extra_chars: str) -> str:
    secret = secrets.token_urlsafe(24)
    if not extra_chars:
        return secret
    # In the middle, so that neither trimming nor suffix handling hides a mis-encoding.
    middle = len(secret) // 2
    return secret[:middle] + extra_chars + secret[middle:]


def _substitute(value: Any, client_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("${client_id}", client_id)
    return value


def _wait_for(
    what: str, check, process: subprocess.Popen, log_path: Path, timeout: float = STARTUP_TIMEOUT
):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result is not None:
            return result
        if process.poll() is not None:
            raise StackError(
                f"{what} exited with status {process.returncode} before it was ready; "
                f"its log ({log_path}) ends with:\n{_tail(log_path)}"
            )
        time.sleep(POLL_INTERVAL)
    raise StackError(
        f"{what} was not ready after {timeout:.0f} s; its log ({log_path}) ends with:\n"
        f"{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _read_json_line(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text()
    except OSError:
        return None
    if not text.endswith("\n"):
        return None
    for line in text.splitlines():
        with contextlib.suppress(ValueError):
            data = json.loads(line)
            if isinstance(data, dict):
                return data
    return None


def _read_ready_file(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "url" in data else None


def _stop_process(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


class Stack:
    """The authorization server and the gateway, on free ports of 127.0.0.1.

    ``gateway=False`` starts the authorization server alone. ``gateway_args`` are passed on
    to the gateway (for instance ``["--release", "legacy"]``).
    """

    def __init__(
        self,
        state_dir: str | os.PathLike,
        tls: bool = False,
        clients_file: str | os.PathLike = DEFAULT_CLIENTS_FILE,
        auth_port: int = 0,
        gateway_port: int = 0,
        gateway: bool = True,
        gateway_args: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.tls = tls
        self.clients_file = Path(clients_file)
        self.auth_port = auth_port
        self.gateway_port = gateway_port
        self.with_gateway = gateway
        self.gateway_args = list(gateway_args)

        self.issuer: str | None = None
        self.token_url: str | None = None
        self.gateway_url: str | None = None
        self.api_key: str | None = None
        self.ca_path: str | None = None
        self.clients: dict[str, dict[str, Any]] = {}
        self.resource: str | None = None
        self.startup_seconds: float | None = None

        self._auth_process: subprocess.Popen | None = None
        self._gateway_process: subprocess.Popen | None = None
        self._pki = None
        self._introspection_client: dict[str, Any] | None = None
        self._session = requests.Session()

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> Stack:
        began = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o700)
        ensure_node_modules()
        try:
            if self.tls:
                self._pki = create_pki(self.state_dir)
                self.ca_path = str(self._pki.ca_path)
            self._start_authserver()
            if self.with_gateway:
                self.api_key = "xapi-" + secrets.token_urlsafe(32)
                self.start_gateway()
            self._write_state()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        _stop_process(self._gateway_process)
        _stop_process(self._auth_process)
        self._session.close()
        with contextlib.suppress(FileNotFoundError):
            (self.state_dir / "stack.json").unlink()

    def start_gateway(self) -> None:
        """Start (or start again, on the same database) the gateway."""
        if self._gateway_process is not None and self._gateway_process.poll() is None:
            raise StackError("the gateway is already running; stop_gateway() first")
        if self.api_key is None:
            self.api_key = "xapi-" + secrets.token_urlsafe(32)
        ready_file = self.state_dir / "gateway.ready"
        with contextlib.suppress(FileNotFoundError):
            ready_file.unlink()
        command = [
            sys.executable,
            "-m",
            "hoopstack.gateway",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.gateway_port),
            "--issuer",
            self.issuer,
            "--api-key=" + self.api_key,
            "--db",
            str(self.state_dir / "gateway.sqlite"),
            "--ready-file",
            str(ready_file),
        ]
        if self._pki is not None:
            command += [
                "--tls-cert",
                str(self._pki.cert_path),
                "--tls-key",
                str(self._pki.key_path),
                "--issuer-ca",
                str(self._pki.ca_path),
            ]
        if self._introspection_client is not None:
            command += [
                # "--opt=value": a random secret may start with "-", which argparse would
                # otherwise take for an option.
                "--introspection-client-id=" + self._introspection_client["client_id"],
                "--introspection-client-secret=" + self._introspection_client["client_secret"],
            ]
        command += self.gateway_args
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(STACK_DIR), env.get("PYTHONPATH", "")) if p
        )
        log_path = self.state_dir / "gateway.log"
        with open(log_path, "ab") as log:
            self._gateway_process = subprocess.Popen(
                command,
                cwd=STACK_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_set_parent_death_signal,
            )
        ready = _wait_for(
            "the gateway",
            lambda: _read_ready_file(ready_file),
            self._gateway_process,
            log_path,
        )
        self.gateway_url = ready["url"]
        # A restarted gateway keeps its port, so that URLs handed out before stay valid.
        self.gateway_port = int(ready["port"])
        if (self.state_dir / "stack.json").exists():
            self._write_state()

    def stop_gateway(self) -> None:
        _stop_process(self._gateway_process)

    def dead_servers(self) -> list[str]:
        """Names of the started servers that have exited on their own."""
        processes = {"authorization server": self._auth_process}
        if self.with_gateway:
            processes["gateway"] = self._gateway_process
        return [name for name, p in processes.items() if p is not None and p.poll() is not None]

    # -- authorization server ----------------------------------------------------------------

    def _start_authserver(self) -> None:
        try:
            spec = json.loads(self.clients_file.read_text())
            self.resource = spec["resource"]
            spec["clients"].items()
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise StackError(
                f"cannot use clients file {self.clients_file}: {exc!r}; it must be JSON with "
                '"resource" and a "clients" object (see tests/stack/clients.json)'
            ) from None
        runtime_clients = []
        for name, entry in spec["clients"].items():
            client_id = entry["client_id"]
            runtime = {
                "client_id": client_id,
                "auth_method": entry["auth_method"],
                "scopes": entry.get("scopes", []),
                "ttl": entry.get("ttl", 3600),
                "token_format": entry.get("token_format", "jwt"),
                "introspection": bool(entry.get("introspection", False)),
            }
            if "grant_types" in entry:
                runtime["grant_types"] = entry["grant_types"]
            claims = {k: _substitute(v, client_id) for k, v in entry.get("claims", {}).items()}
            if claims:
                runtime["claims"] = claims
            public = {
                "name": name,
                "client_id": client_id,
                "auth_method": entry["auth_method"],
                "scopes": runtime["scopes"],
                "ttl": runtime["ttl"],
                "token_format": runtime["token_format"],
                "expected_sub": claims.get("sub", client_id),
                "claims": claims,
            }
            if entry["auth_method"] == "private_key_jwt":
                key = _rsa_key()
                kid = f"{name}-{secrets.token_hex(4)}"
                key_path = self.state_dir / f"{name}-key.pem"
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode()
                write_private(key_path, pem.encode())
                runtime["jwks"] = {"keys": [_public_jwk(key, kid)]}
                public.update(kid=kid, private_key_pem=pem, private_key_path=str(key_path))
            else:
                secret = _client_secret(entry.get("secret_chars", ""))
                runtime["client_secret"] = secret
                public["client_secret"] = secret
            runtime_clients.append(runtime)
            if runtime["introspection"]:
                self._introspection_client = public
            else:
                self.clients[name] = public

        signing_kid = f"stack-{secrets.token_hex(4)}"
        runtime_config = {
            "host": "127.0.0.1",
            "port": self.auth_port,
            "resource": self.resource,
            "signing_key": _private_jwk(_rsa_key(), signing_kid),
            "cookie_key": secrets.token_urlsafe(32),
            "clients": runtime_clients,
        }
        if self._pki is not None:
            runtime_config["tls"] = {
                "cert": str(self._pki.cert_path),
                "key": str(self._pki.key_path),
            }
        config_path = self.state_dir / "authserver.json"
        write_private(config_path, json.dumps(runtime_config, indent=2).encode())

        ready_path = self.state_dir / "authserver.out"
        log_path = self.state_dir / "authserver.log"
        with open(ready_path, "wb") as out, open(log_path, "ab") as log:
            self._auth_process = subprocess.Popen(
                [_node(), "server.mjs", "--config", str(config_path)],
                cwd=AUTHSERVER_DIR,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=log,
                start_new_session=True,
                preexec_fn=_set_parent_death_signal,
            )
        ready = _wait_for(
            "the authorization server",
            lambda: _read_json_line(ready_path),
            self._auth_process,
            log_path,
        )
        self.issuer = ready["issuer"]
        self.auth_port = int(ready["port"])
        self.token_url = self.issuer + "/token"

    # -- description for other processes ------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "token_url": self.token_url,
            "discovery_url": f"{self.issuer}/.well-known/openid-configuration",
            "resource": self.resource,
            "gateway_url": self.gateway_url,
            "api_key": self.api_key,
            "ca_path": self.ca_path,
            "tls": self.tls,
            "clients": self.clients,
            "introspection_client": self._introspection_client,
            "state_dir": str(self.state_dir),
            "pids": {
                "launcher": os.getpid(),
                "authserver": self._auth_process.pid if self._auth_process else None,
                "gateway": self._gateway_process.pid if self._gateway_process else None,
            },
        }

    def _write_state(self) -> None:
        path = self.state_dir / "stack.json"
        partial = path.with_suffix(".json.partial")
        write_private(partial, json.dumps(self.describe(), indent=2).encode())
        # Atomic, so that a reader waiting for the file never sees half of it.
        partial.replace(path)

    # -- test controls -----------------------------------------------------------------------

    def _control(self, base_url: str | None, method: str, route: str, body=None):
        if base_url is None:
            raise StackError("that server is not running in this stack")
        # verify per request: a session-level setting loses against REQUESTS_CA_BUNDLE.
        response = self._session.request(
            method,
            f"{base_url}/__stack/{route}",
            json=body,
            verify=self.ca_path or True,
            timeout=30,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def access_token(self, name: str) -> str:
        """A client-credentials access token for the secret-based client ``name``."""
        client = self.clients[name]
        if "client_secret" not in client:
            raise StackError(f"client {name!r} has no secret; sign an assertion for it instead")
        form = {"grant_type": "client_credentials"}
        auth = None
        if client["auth_method"] == "client_secret_basic":
            # RFC 6749 2.3.1: form-encode both parts before Basic encodes them.
            auth = (quote(client["client_id"], safe=""), quote(client["client_secret"], safe=""))
        else:
            form.update(client_id=client["client_id"], client_secret=client["client_secret"])
        response = self._session.post(
            self.token_url, data=form, auth=auth, verify=self.ca_path or True, timeout=30
        )
        response.raise_for_status()
        return response.json()["access_token"]

    @property
    def introspection_client(self) -> dict[str, Any] | None:
        """The client the gateway uses to introspect opaque tokens."""
        return self._introspection_client

    @staticmethod
    def _fault(status, count, retry_after, delay, body, content_type, location) -> dict[str, Any]:
        fault = {"status": status, "count": count}
        optional = {
            "retry_after": retry_after,
            "delay": delay,
            "body": body,
            "content_type": content_type,
            "location": location,
        }
        fault.update({k: v for k, v in optional.items() if v is not None})
        return fault

    def gateway_faults(
        self,
        status: int | None = 503,
        count: int = 1,
        retry_after: float | None = None,
        delay: float | None = None,
        body: str | None = None,
        content_type: str | None = None,
        location: str | None = None,
    ):
        """Make the next ``count`` /api requests to the gateway fail as described."""
        fault = self._fault(status, count, retry_after, delay, body, content_type, location)
        return self._control(self.gateway_url, "POST", "faults", fault)

    def token_faults(
        self,
        status: int | None = 503,
        count: int = 1,
        retry_after: float | None = None,
        delay: float | None = None,
        body: str | None = None,
        content_type: str | None = None,
        location: str | None = None,
    ):
        """Make the next ``count`` token endpoint requests fail as described."""
        fault = self._fault(status, count, retry_after, delay, body, content_type, location)
        return self._control(self.issuer, "POST", "faults", fault)

    def clear_faults(self) -> None:
        self._control(self.issuer, "DELETE", "faults")
        if self.gateway_url is not None:
            self._control(self.gateway_url, "DELETE", "faults")

    def gateway_requests(self) -> list[dict[str, Any]]:
        return self._control(self.gateway_url, "GET", "requests")

    def token_requests(self) -> list[dict[str, Any]]:
        return self._control(self.issuer, "GET", "requests")

    def reset_logs(self) -> None:
        self._control(self.issuer, "DELETE", "requests")
        if self.gateway_url is not None:
            self._control(self.gateway_url, "DELETE", "requests")


def load_state(state_dir: str | os.PathLike) -> dict[str, Any]:
    """The description of a stack started in state_dir by another process."""
    path = Path(state_dir) / "stack.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise StackError(
            f"no stack is running with state directory {state_dir} ({path} is missing); "
            "start one with: python tests/stack/hoopstack start --state-dir DIR"
        ) from None
