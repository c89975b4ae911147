"""A local stand-in for the Hoop gateway (hoophq/hoop), faithful to how the real gateway
behaves on the routes this collection uses: authentication order, roles, status codes, bodies
and quirks, including those of older releases.

Run with ``tests/stack`` on ``PYTHONPATH``::

    python -m hoopstack.gateway --host 127.0.0.1 --port 0 --issuer http://127.0.0.1:PORT \
        --api-key xapi-... --db gateway.sqlite --ready-file gateway.ready

Once listening it writes ``{"url": ..., "port": ...}`` to the ready file.

Routes of the contract: ``GET``/``POST /api/serviceaccounts``,
``PUT /api/serviceaccounts/{subject}``, ``GET /api/userinfo`` and, from the Swagger slice,
``GET /api/users/groups``. Paths are percent-decoded before routing, as the real router does,
so a subject containing ``/`` (raw or encoded) never reaches the PUT route: 404.

Choices where the contract leaves room:

* ``GET /api/userinfo`` answers 200 for a valid token whose subject is not registered, with
  ``role: "unregistered"`` and the token's subject as ``email``; every other route refuses
  such a token with 401. Inactive accounts get 401 everywhere, userinfo included.
* ``--release legacy`` reproduces the 2024 gateways: other 409/404 messages, PUT stores an
  empty name, PUT answers with the stored resource. ``--release current`` (default) keeps the
  stored name on an empty one and echoes the request.
* A PUT without ``groups`` is echoed with ``groups: []`` so the answer keeps its schema.
* Service accounts and their groups come back in a stable order that is neither the order
  given nor sorted.

Not part of the contract, for tests (no authentication, the server binds 127.0.0.1):

* ``GET``/``DELETE /__stack/requests``: the request log, entries
  ``{"method", "path", "status", "credential"}`` where ``path`` is the raw path without query
  and ``credential`` is ``api-key``, ``hpk``, ``jwt``, ``opaque`` or ``none``. Never secrets.
* ``POST /__stack/faults`` ``{"status", "count", "retry_after", "delay", "body",
  "content_type", "location"}`` queues a fault for the next ``count`` (default 1) requests
  under ``/api``; several POSTs queue faults one after another. ``delay`` waits that many
  seconds first; without ``status`` the request is then answered normally, with it the
  fault is the answer (``body`` and ``content_type``, ``Retry-After`` from ``retry_after``,
  ``Location`` from ``location``). ``DELETE /__stack/faults`` clears the queue.
* ``POST /__stack/apikeys`` ``{"name", "groups", "status"}`` -> 201 ``{"key": "hpk_..."}``.
* ``POST /__stack/reset``: removes every service account and queued fault.
* ``GET /__stack/health``: 200 once the server answers.
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from hoopstack.gateway_auth import Authenticator, Refusal, authorize, credential_kind
from hoopstack.gateway_store import Store

STATUSES = ("active", "inactive")
MAX_BODY = 1024 * 1024
MAX_LOG = 10000

MESSAGES = {
    "current": {"exists": "resource already exists", "missing": "resource not found"},
    "legacy": {"exists": "service account already exists", "missing": "service account not found"},
}


class BindingError(Exception):
    """A request body the real gateway's JSON binding would refuse (400)."""


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._queue = []

    def add(self, spec):
        count = spec.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise ValueError("count must be a positive integer")
        status = spec.get("status")
        if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
            raise ValueError("status must be an HTTP status code")
        delay = spec.get("delay")
        if delay is not None and (not isinstance(delay, (int, float)) or delay < 0):
            raise ValueError("delay must be a number of seconds")
        if status is None and delay is None:
            raise ValueError("a fault needs a status or a delay")
        fault = {k: spec.get(k) for k in ("status", "retry_after", "delay", "body")}
        fault["content_type"] = spec.get("content_type")
        fault["location"] = spec.get("location")
        with self._lock:
            self._queue.append([fault, count])
            return len(self._queue)

    def take(self):
        with self._lock:
            if not self._queue:
                return None
            entry = self._queue[0]
            entry[1] -= 1
            if entry[1] == 0:
                self._queue.pop(0)
            return entry[0]

    def clear(self):
        with self._lock:
            self._queue.clear()


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def add(self, method, path, status, credential):
        entry = {"method": method, "path": path, "status": status, "credential": credential}
        with self._lock:
            self._entries.append(entry)
            del self._entries[:-MAX_LOG]

    def entries(self):
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


class Gateway:
    def __init__(self, store, authenticator, release="current", org_name="hoopstack"):
        self.store = store
        self.auth = authenticator
        self.release = release
        self.org_name = org_name
        self.faults = Faults()
        self.log = RequestLog()


def _type_name(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def bind_serviceaccount(raw, required):
    """Decode a ServiceAccount body the way the gateway's JSON binding does."""
    if not raw.strip():
        raise BindingError("EOF")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BindingError("invalid character in JSON body: %s" % exc.args[0]) from None
    if not isinstance(body, dict):
        raise BindingError(
            "json: cannot unmarshal %s into Go value of type openapi.ServiceAccount"
            % _type_name(body)
        )
    for field in ("id", "org_id", "subject", "name", "status"):
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            raise BindingError(
                "json: cannot unmarshal %s into Go struct field ServiceAccount.%s of type string"
                % (_type_name(value), field)
            )
    groups = body.get("groups")
    if groups is not None and (
        not isinstance(groups, list) or not all(isinstance(g, str) for g in groups)
    ):
        raise BindingError(
            "json: cannot unmarshal %s into Go struct field ServiceAccount.groups of type []string"
            % _type_name(groups)
        )
    missing = [f for f in required if not body.get(f)]
    if missing:
        raise BindingError(
            "\n".join(
                "Key: 'ServiceAccount.%s' Error:Field validation for '%s' failed on the "
                "'required' tag" % (f.capitalize(), f.capitalize())
                for f in missing
            )
        )
    return {
        "subject": body.get("subject") or "",
        "name": body.get("name") or "",
        "status": body.get("status"),
        "groups": list(groups or []),
    }


class Answer(Exception):
    """Ends a request with this status and JSON body."""

    def __init__(self, status, body):
        super().__init__(status)
        self.status = status
        self.body = body


def _message(status, text):
    return Answer(status, {"message": text})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hoopstack-gateway"
    timeout = 60

    def version_string(self):
        return self.server_version

    @property
    def gateway(self):
        return self.server.gateway

    def log_message(self, format, *args):
        # The default logger prints request lines; keep stderr quiet, the log is in memory.
        return

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _message(413, "request body too large")
        return self.rfile.read(length) if length else b""

    def _send(self, status, payload, content_type="application/json; charset=utf-8", headers=()):
        if isinstance(payload, str):
            data = payload.encode()
        elif isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _dispatch(self):
        raw_path = urlsplit(self.path).path
        try:
            body = self._read_body()
        except (ValueError, Answer) as exc:
            # The rest of the body is still on the wire; the connection cannot be reused.
            self.close_connection = True
            if isinstance(exc, Answer):
                self._send(exc.status, exc.body)
            else:
                self._send(400, {"message": "unreadable request body"})
            return
        if raw_path.startswith("/__stack/"):
            self._control(raw_path, body)
            return
        status, send = self._api(raw_path, body)
        # Logged before answering, so that a client which gave up still leaves its entry.
        kind = credential_kind(self.headers, self.gateway.auth.org_keys)
        self.gateway.log.add(self.command, raw_path, status, kind)
        send()

    def _api(self, raw_path, body):
        if raw_path == "/api" or raw_path.startswith("/api/"):
            fault = self.gateway.faults.take()
            if fault is not None:
                if fault["delay"]:
                    time.sleep(fault["delay"])
                if fault["status"] is not None:
                    return fault["status"], lambda: self._fault(fault)
        try:
            handler, args = self._route(unquote(raw_path))
            status, payload = handler(body, *args)
        except Answer as answer:
            status, payload = answer.status, answer.body
        except Refusal as refusal:
            status, payload = refusal.status, {"message": refusal.message}
        except Exception as exc:  # noqa: BLE001 - the real gateway answers 500, never hangs up
            print(
                "hoopstack.gateway: %s failed: %s" % (self.command, type(exc).__name__),
                file=sys.stderr,
                flush=True,
            )
            status, payload = 500, {"message": "internal error (%s)" % type(exc).__name__}
        if payload is NOT_FOUND:
            return status, lambda: self._send(404, "404 page not found", "text/plain")
        return status, lambda: self._send(status, payload)

    def _fault(self, fault):
        status = fault["status"]
        headers = []
        if fault["retry_after"] is not None:
            headers.append(("Retry-After", str(fault["retry_after"])))
        if fault["location"]:
            headers.append(("Location", fault["location"]))
        body = fault["body"]
        if body is None:
            content_type = fault["content_type"] or "application/json; charset=utf-8"
            body = {"message": "injected fault %d" % status}
        elif isinstance(body, str):
            guess = "text/html; charset=utf-8" if body.lstrip().startswith("<") else "text/plain"
            content_type = fault["content_type"] or guess
        else:
            content_type = fault["content_type"] or "application/json; charset=utf-8"
        self._send(status, body, content_type, headers)

    def _route(self, path):
        parts = path.split("/")
        method = self.command
        if path == "/api/serviceaccounts":
            if method == "GET":
                return self._list, ()
            if method == "POST":
                return self._create, ()
        elif len(parts) == 4 and parts[:3] == ["", "api", "serviceaccounts"] and parts[3]:
            if method == "PUT":
                return self._update, (parts[3],)
        elif path == "/api/userinfo" and method == "GET":
            return self._userinfo, ()
        elif path == "/api/users/groups" and method == "GET":
            return self._groups, ()
        return _not_found, ()

    def _identity(self, admin_only=False, allow_unregistered=False):
        identity = self.gateway.auth.authenticate(self.headers)
        authorize(identity, admin_only=admin_only, allow_unregistered=allow_unregistered)
        return identity

    def _list(self, _body):
        self._identity()
        accounts = self.gateway.store.list_serviceaccounts()
        return 200, accounts or None

    def _create(self, body):
        self._identity(admin_only=True)
        request = self._bind(body, ("subject", "status"))
        created = self.gateway.store.create_serviceaccount(
            request["subject"], request["name"], request["status"], request["groups"]
        )
        if created is None:
            raise _message(409, MESSAGES[self.gateway.release]["exists"])
        return 201, created

    def _update(self, body, subject):
        self._identity(admin_only=True)
        request = self._bind(body, ("status",))
        store = self.gateway.store
        current = store.get_serviceaccount(subject)
        if current is None:
            raise _message(404, MESSAGES[self.gateway.release]["missing"])
        legacy = self.gateway.release == "legacy"
        name = request["name"] if (request["name"] or legacy) else current["name"]
        stored = store.update_serviceaccount(subject, name, request["status"], request["groups"])
        if stored is None:
            raise _message(404, MESSAGES[self.gateway.release]["missing"])
        if legacy:
            return 200, stored
        return 200, {
            "id": stored["id"],
            "org_id": stored["org_id"],
            "subject": stored["subject"],
            "name": request["name"],
            "status": request["status"],
            "groups": request["groups"],
        }

    def _bind(self, body, required):
        try:
            request = bind_serviceaccount(body.decode("utf-8", "replace"), required)
        except BindingError as exc:
            raise _message(400, str(exc)) from None
        if request["status"] not in STATUSES:
            raise _message(422, 'wrong status value "%s"' % request["status"])
        return request

    def _userinfo(self, _body):
        identity = self._identity(allow_unregistered=True)
        gateway = self.gateway
        info = {
            "email": identity.subject,
            "name": identity.name,
            "groups": list(identity.groups),
            "org_id": gateway.store.org_id,
            "org_name": gateway.org_name,
            "tenancy_type": "selfhosted",
            "is_multitenant": False,
            "is_admin": identity.is_admin,
            "verified": True,
            "slack_id": "",
            "picture": "",
            "org_license": "",
            "feature_ask_ai": "unavailable",
            "webapp_users_management": "on",
            "show_setup_checklist": False,
            "show_origin_survey": False,
        }
        if not identity.registered:
            info["role"] = "unregistered"
            info["verified"] = False
            return 200, info
        info["status"] = identity.status
        if identity.kind in ("jwt", "opaque"):
            account = gateway.store.get_serviceaccount(identity.subject)
            info["id"] = account["id"]
            info["groups"] = account["groups"]
        if identity.is_admin:
            info["role"] = "admin"
        elif "auditor" in identity.groups:
            info["role"] = "auditor"
        else:
            info["role"] = "standard"
        return 200, info

    def _groups(self, _body):
        self._identity()
        return 200, self.gateway.store.all_groups()

    def _control(self, path, body):
        gateway = self.gateway
        method = self.command
        try:
            payload = json.loads(body) if body.strip() else {}
        except ValueError:
            self._send(400, {"message": "body must be JSON"})
            return
        if not isinstance(payload, dict):
            self._send(400, {"message": "body must be a JSON object"})
            return
        if path == "/__stack/health" and method == "GET":
            self._send(200, {"ok": True, "release": gateway.release})
        elif path == "/__stack/requests" and method == "GET":
            self._send(200, gateway.log.entries())
        elif path == "/__stack/requests" and method == "DELETE":
            gateway.log.clear()
            self._send(200, {"ok": True})
        elif path == "/__stack/faults" and method == "POST":
            try:
                queued = gateway.faults.add(payload)
            except ValueError as exc:
                self._send(400, {"message": str(exc)})
                return
            self._send(201, {"queued": queued})
        elif path == "/__stack/faults" and method == "DELETE":
            gateway.faults.clear()
            self._send(200, {"ok": True})
        elif path == "/__stack/apikeys" and method == "POST":
            name, groups = payload.get("name"), payload.get("groups") or []
            status = payload.get("status", "active")
            if not isinstance(name, str) or not name:
                self._send(400, {"message": "name (a string) is required"})
                return
            if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
                self._send(400, {"message": "groups must be a list of strings"})
                return
            if status not in STATUSES:
                self._send(400, {"message": "status must be active or inactive"})
                return
            self._send(201, {"key": gateway.store.create_apikey(name, groups, status)})
        elif path == "/__stack/reset" and method == "POST":
            gateway.store.delete_all_serviceaccounts()
            gateway.faults.clear()
            self._send(200, {"ok": True})
        else:
            self._send(404, {"message": "no such control route"})


NOT_FOUND = object()


def _not_found(_body, *_args):
    return 404, NOT_FOUND


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that give up early (timeouts in tests) are expected; anything else is not.
        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m hoopstack.gateway", description="Local Hoop gateway for tests."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--issuer", help="OIDC issuer whose tokens are accepted")
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        help="organisation key (xapi-... or <org-uuid>|<secret>); may be repeated",
    )
    parser.add_argument("--db", required=True, help="sqlite file")
    parser.add_argument("--ready-file", help='written with {"url", "port"} once listening')
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--issuer-ca", help="CA bundle to verify an HTTPS issuer")
    parser.add_argument("--introspection-client-id")
    parser.add_argument("--introspection-client-secret")
    parser.add_argument("--org-id", help="organisation uuid (default: kept in the database)")
    parser.add_argument("--org-name", default="hoopstack")
    parser.add_argument("--release", choices=sorted(MESSAGES), default="current")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--host must be a loopback address")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.org_id:
        try:
            uuid.UUID(args.org_id)
        except ValueError:
            parser.error("--org-id must be a UUID, for example %s" % uuid.uuid4())
    if bool(args.introspection_client_id) != bool(args.introspection_client_secret):
        parser.error("--introspection-client-id and --introspection-client-secret go together")
    return args


def _org_from_keys(keys):
    for key in keys:
        head, sep, _rest = key.partition("|")
        if sep:
            return head
    return None


def build(args):
    """Create the store, authenticator and listening server from parsed arguments."""
    store = Store(args.db, org_id=args.org_id or _org_from_keys(args.api_key))
    introspection = None
    if args.introspection_client_id:
        introspection = (args.introspection_client_id, args.introspection_client_secret)
    auth = Authenticator(store, args.issuer, args.api_key, introspection, args.issuer_ca)
    server = Server((args.host, args.port), Handler)
    server.gateway = Gateway(store, auth, args.release, args.org_name)
    scheme = "http"
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # Handshakes happen in the request thread, so a stalled client blocks no one else.
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        scheme = "https"
    port = server.server_address[1]
    return server, "%s://127.0.0.1:%d" % (scheme, port), port


def _write_ready(path, url, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump({"url": url, "port": port}, handle)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    if args.ready_file and os.path.exists(args.ready_file):
        os.unlink(args.ready_file)
    try:
        server, url, port = build(args)
    except (OSError, ValueError, ssl.SSLError) as exc:
        print("hoopstack.gateway: cannot start: %s" % exc, file=sys.stderr)
        return 1

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.ready_file:
        _write_ready(args.ready_file, url, port)
    print(json.dumps({"url": url, "port": port}), flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        server.gateway.store.close()
        if args.ready_file and os.path.exists(args.ready_file):
            os.unlink(args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
