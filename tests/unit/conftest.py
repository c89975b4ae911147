"""A tiny scripted HTTP server on 127.0.0.1 for unit tests of the HTTP and OAuth2 code.

Each test says what the server answers on a path (a list of answers, used in turn, the last
one repeating) and reads back what was sent, so that request shapes are checked on the wire.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class Answer:
    def __init__(self, status=200, body=None, headers=None, content_type=None):
        self.status = status
        self.headers = dict(headers or {})
        if isinstance(body, (dict, list)) or body is None and content_type is None:
            self.body = json.dumps(body if body is not None else {}).encode()
            self.headers.setdefault("Content-Type", content_type or "application/json")
        else:
            self.body = (body or "").encode() if isinstance(body, str) else (body or b"")
            self.headers.setdefault("Content-Type", content_type or "text/plain")


class Recorded:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body

    @property
    def form(self):
        """The form body as a dict of lists, decoded once, as a server would."""
        return parse_qs(self.body.decode(), keep_blank_values=True)


class ScriptedServer:
    def __init__(self):
        self.routes = {}
        self.requests = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(
                    Recorded(self.command, parts.path, parts.query, dict(self.headers), body)
                )
                answer = server._next(parts.path)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def on(self, path, *answers):
        """Answer ``path`` with each of ``answers`` in turn, repeating the last."""
        self.routes[path] = [a if isinstance(a, Answer) else Answer(body=a) for a in answers]

    def _next(self, path):
        with self._lock:
            queue = self.routes.get(path)
            if not queue:
                return Answer(404, {"error": "not_found"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def sent(self, path=None):
        return [r for r in self.requests if path is None or r.path == path]


@pytest.fixture
def server():
    scripted = ScriptedServer()
    scripted.thread.start()
    yield scripted
    scripted.httpd.shutdown()
    scripted.httpd.server_close()


@pytest.fixture
def answer():
    return Answer


@pytest.fixture
def token_params():
    """Validated hoop_token params from the given options, as AnsibleModule would build them."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
        token_module_kwargs,
    )

    def build(**options):
        kwargs = token_module_kwargs()
        validator = ArgumentSpecValidator(
            kwargs["argument_spec"], mutually_exclusive=kwargs.get("mutually_exclusive")
        )
        result = validator.validate(options)
        assert not result.error_messages, result.error_messages
        return result.validated_parameters

    return build


@pytest.fixture
def make_client():
    """A TokenClient over a real HttpClient that does not sleep between retries."""
    from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
    from ansible_collections.hoop.gateway.plugins.module_utils.http_client import HttpClient
    from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import TokenClient

    def build(params, environ=None, retries=0):
        ctx = RunContext(environ=environ or {})
        http = HttpClient(retries=retries, warn=ctx.warn, sleep=lambda seconds: None, timeout=5)
        return TokenClient.from_params(params, ctx, http), ctx

    return build


class Signer:
    """An RSA key that signs test tokens and publishes itself as a JWKS."""

    def __init__(self, kid="test-key"):
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(self, claims, headers=None, algorithm="RS256"):
        import jwt

        all_headers = {"kid": self.kid}
        all_headers.update(headers or {})
        return jwt.encode(claims, self.key, algorithm=algorithm, headers=all_headers)

    def jwk(self):
        import json as _json

        from jwt.algorithms import RSAAlgorithm

        entry = _json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        entry.update(kid=self.kid, use="sig", alg="RS256")
        return entry

    def pem(self, passphrase=None):
        from cryptography.hazmat.primitives import serialization

        encryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()


@pytest.fixture(scope="session")
def signer():
    return Signer()


@pytest.fixture(scope="session")
def other_signer():
    return Signer(kid="other-key")
