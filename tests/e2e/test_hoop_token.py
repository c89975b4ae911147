"""hoop_token against the local authorization server, through both execution paths.

Several cases share one playbook run where that keeps each assertion tied to its own task:
an ansible-playbook start costs more than the token requests it makes.
"""

import base64
import json
import socket
from pathlib import Path

import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import HttpClient
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import TokenClient
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
    oauth2_argument_spec,
)

pytestmark = pytest.mark.slow


def client_args(stack, name, **extra):
    """hoop_token options for the stack's client ``name``, with its own auth method."""
    client = stack.clients[name]
    args = {
        "token_url": stack.token_url,
        "client_id": client["client_id"],
        "auth_method": client["auth_method"],
    }
    if client["auth_method"] == "private_key_jwt":
        args["private_key"] = client["private_key_path"]
        args["key_id"] = client["kid"]
    else:
        args["client_secret"] = client["client_secret"]
    args.update(extra)
    return args


def task(name, args, **keywords):
    entry = {"name": name, "hoop.gateway.hoop_token": args, "register": "out"}
    entry.update(keywords)
    return entry


def secrets_of(stack):
    found = [c["client_secret"] for c in stack.clients.values() if c.get("client_secret")]
    for client in stack.clients.values():
        if client.get("private_key_path"):
            pem = Path(client["private_key_path"]).read_text()
            found += [line for line in pem.splitlines() if line and "-----" not in line]
    return found


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_tokens_for_every_auth_method_and_provider_shape(ansible, stack):
    keyjwt = stack.clients["keyjwt"]
    tasks = [
        task("post", client_args(stack, "demo", scope="openid hoop:read")),
        task("basic", client_args(stack, "basic")),
        task("key path", client_args(stack, "keyjwt")),
        task(
            "key content",
            client_args(
                stack,
                "keyjwt",
                private_key="{{ lookup('file', '%s') }}" % keyjwt["private_key_path"],
            ),
        ),
        task(
            "discovery",
            dict(client_args(stack, "demo", token_url=None), issuer=stack.issuer),
        ),
        task(
            "validated",
            client_args(
                stack,
                "demo",
                issuer=stack.issuer,
                validate_token=True,
                expected_audience=stack.resource,
            ),
        ),
        task("entra", client_args(stack, "entra")),
        task("opaque", client_args(stack, "opaque")),
        task("nosub", client_args(stack, "nosub")),
        task("check mode", client_args(stack, "demo"), check_mode=True),
    ]
    run = ansible.playbook(tasks, verbosity=3)
    assert run.rc == 0, run.output[-4000:]

    for name, client in [
        ("post", "demo"),
        ("basic", "basic"),
        ("key path", "keyjwt"),
        ("key content", "keyjwt"),
        ("discovery", "demo"),
        ("validated", "demo"),
        ("entra", "entra"),
    ]:
        result = run.result(name)
        assert result["changed"] is False, name
        assert result["format"] == "jwt", name
        assert result["subject"] == stack.clients[client]["expected_sub"], name
        assert result["token_type"] == "Bearer", name
        assert result["expires_in"] == 3600, name
        assert result["token_url"] == stack.token_url, name
        assert result["claims"]["sub"] == result["subject"], name
        assert not result.get("warnings"), (name, result.get("warnings"))

    assert run.result("post")["scope"] == "openid hoop:read"
    assert run.result("validated")["claims"]["aud"] == stack.resource
    entra = run.result("entra")
    assert entra["subject"] != stack.clients["entra"]["client_id"]
    assert entra["claims"]["appid"] == stack.clients["entra"]["client_id"]

    opaque = run.result("opaque")
    assert opaque["format"] == "opaque"
    assert opaque["subject"] is None
    assert opaque["claims"] == {}
    assert any("opaque" in w for w in opaque["warnings"])

    nosub = run.result("nosub")
    assert nosub["format"] == "jwt"
    assert nosub["subject"] is None
    assert any("without a 'sub' claim" in w for w in nosub["warnings"])

    checked = run.result("check mode")
    assert checked["changed"] is False
    assert checked["subject"] == "hoop-demo"

    for secret in secrets_of(stack):
        assert secret not in run.output


def test_environment_fallbacks_through_the_task_keyword(ansible, stack):
    basic = stack.clients["basic"]
    environment = {
        "HOOP_TOKEN_URL": stack.token_url,
        "HOOP_CLIENT_ID": basic["client_id"],
        "HOOP_CLIENT_SECRET": basic["client_secret"],
        "HOOP_AUTH_METHOD": "client_secret_basic",
        "HOOP_SCOPE": "openid,hoop:read",
    }
    tasks = [
        task("from environment", {}, environment=environment),
        task(
            "task client id",
            {"client_id": basic["client_id"]},
            environment=environment,
            ignore_errors=True,
        ),
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output[-4000:]

    from_env = run.result("from environment")
    assert from_env["subject"] == basic["expected_sub"]
    assert from_env["scope"] == "openid hoop:read"

    mixed = run.result("task client id")
    assert mixed["failed"] is True
    assert "Environment variables are not read because the task sets 'client_id'" in mixed["msg"]
    assert basic["client_secret"] not in run.output


def test_refusals_and_transport_failures(ansible, stack):
    demo = stack.clients["demo"]
    wrong = "not-the-secret-" + demo["client_secret"][:4]
    tasks = [
        task("wrong secret", client_args(stack, "demo", client_secret=wrong), ignore_errors=True),
        task(
            "unknown scope",
            client_args(stack, "demo", scope="hoop:everything"),
            ignore_errors=True,
        ),
        task(
            "wrong audience",
            client_args(
                stack,
                "demo",
                issuer=stack.issuer,
                validate_token=True,
                expected_audience="urn:someone:else",
            ),
            ignore_errors=True,
        ),
        task(
            "server down",
            client_args(
                stack, "demo", token_url="http://127.0.0.1:%d/token" % closed_port(), retries=0
            ),
            ignore_errors=True,
        ),
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output[-4000:]

    failed = run.result("wrong secret")
    assert failed["failed"] is True
    assert "invalid_client" in failed["msg"]
    assert "'auth_method'" in failed["msg"]
    assert failed["status"] == 401
    assert failed["error"] == "invalid_client"
    assert stack.token_url in failed["msg"]

    scope = run.result("unknown scope")
    assert scope["error"] == "invalid_scope"
    assert "hoop:everything" in scope["msg"]

    audience = run.result("wrong audience")
    assert audience["failed"] is True
    assert "audience is not 'urn:someone:else'" in audience["msg"]

    down = run.result("server down")
    assert down["failed"] is True
    assert "connection refused" in down["msg"]

    for result in run.task_results():
        assert "Traceback" not in json.dumps(result)
    assert wrong not in run.output
    for secret in secrets_of(stack):
        assert secret not in run.output


def test_token_endpoint_faults(ansible, stack):
    stack.clear_faults()
    stack.reset_logs()
    stack.token_faults(status=503, count=2, retry_after=0)
    # A fault without status lets one request through, so the next faults meet the next tasks.
    stack.token_faults(status=None, count=1)
    stack.token_faults(
        status=502,
        count=1,
        body="<html><body><h1>502 Bad Gateway</h1><hr>proxy</body></html>",
        content_type="text/html",
    )
    stack.token_faults(status=302, count=1, location="http://127.0.0.1:1/elsewhere")
    tasks = [
        task("retried", client_args(stack, "demo")),
        task("html", client_args(stack, "demo", retries=0), ignore_errors=True),
        task("redirect", client_args(stack, "demo"), ignore_errors=True),
    ]
    try:
        run = ansible.playbook(tasks)
    finally:
        stack.clear_faults()
    assert run.rc == 0, run.output[-4000:]

    retried = run.result("retried")
    assert retried["subject"] == "hoop-demo"
    retry_warnings = [w for w in retried["warnings"] if "answered HTTP 503; retrying" in w]
    assert len(retry_warnings) == 2

    html = run.result("html")
    assert html["failed"] is True
    assert "HTTP 502 with text/html" in html["msg"]
    assert "502 Bad Gateway proxy" in html["msg"]
    assert "<h1>" not in html["msg"]

    redirect = run.result("redirect")
    assert redirect["failed"] is True
    assert "redirect (HTTP 302) to http://127.0.0.1:1/elsewhere" in redirect["msg"]

    # Two 503s, the success, the HTML page, the redirect: nothing followed the redirect.
    assert [r["status"] for r in stack.token_requests()] == [503, 503, 200, 502, 302]


def test_tls_is_verified_against_the_given_ca(ansible, tls_stack):
    tasks = [
        task("trusted", client_args(tls_stack, "demo", ca_path=tls_stack.ca_path)),
        task(
            "through HOOP_TLSCA",
            client_args(tls_stack, "demo"),
            environment={"HOOP_TLSCA": tls_stack.ca_path},
        ),
        task("untrusted", client_args(tls_stack, "demo"), ignore_errors=True),
    ]
    run = ansible.playbook(tasks)
    assert run.rc == 0, run.output[-4000:]
    assert run.result("trusted")["subject"] == "hoop-demo"
    assert run.result("through HOOP_TLSCA")["subject"] == "hoop-demo"
    untrusted = run.result("untrusted")
    assert untrusted["failed"] is True
    assert "TLS certificate verification failed" in untrusted["msg"]
    assert "'ca_path'" in untrusted["msg"]


@pytest.mark.parametrize("name", ["demo", "basic", "keyjwt"])
def test_adhoc_run_per_auth_method(ansible, stack, name):
    run = ansible.adhoc("hoop.gateway.hoop_token", client_args(stack, name))
    assert run.rc == 0, run.output[-4000:]
    result = run.result()
    assert result["subject"] == stack.clients[name]["expected_sub"]
    assert result["changed"] is False
    for secret in secrets_of(stack):
        assert secret not in run.output


def _fetch_directly(stack, **options):
    params = dict((name, None) for name in oauth2_argument_spec())
    params.update(leeway=60, validate_token=False)
    params.update(client_args(stack, "demo"), issuer=stack.issuer, **options)
    ctx = RunContext(environ={})
    return TokenClient.from_params(params, ctx, HttpClient(warn=ctx.warn, timeout=10))


def test_a_tampered_stack_token_fails_validation(stack):
    client = _fetch_directly(stack)
    token = client.fetch()["access_token"]
    assert client.verify(token)["sub"] == "hoop-demo"

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "hoop-admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(HoopError, match="signature does not verify"):
        client.verify(".".join([header, forged, signature]))
