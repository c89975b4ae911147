"""HttpClient: retries, Retry-After, redirects, failure names, excerpts, safe URLs."""

from unittest import mock

import pytest
import requests

from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import (
    HttpClient,
    body_excerpt,
    http_client_from_params,
    parse_retry_after,
    safe_url,
)


class Recorder:
    def __init__(self):
        self.warnings = []
        self.sleeps = []

    def client(self, **kwargs):
        kwargs.setdefault("timeout", 5)
        return HttpClient(warn=self.warnings.append, sleep=self.sleeps.append, **kwargs)


@pytest.fixture
def rec():
    return Recorder()


def test_503_is_retried_with_backoff_and_a_warning_each_time(server, answer, rec):
    server.on("/x", answer(503, {"m": 1}), answer(503, {"m": 2}), answer(200, {"ok": True}))
    response = rec.client(retries=3).request("GET", server.url + "/x", "GET thing")
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert rec.sleeps == [1.0, 2.0]
    assert len(rec.warnings) == 2
    assert "answered HTTP 503; retrying in 1.0 s (retry 1 of 3)" in rec.warnings[0]


def test_retry_after_is_honoured_up_to_the_cap(server, answer, rec):
    server.on(
        "/x",
        answer(429, {}, headers={"Retry-After": "7"}),
        answer(503, {}, headers={"Retry-After": "999"}),
        answer(200, {}),
    )
    rec.client(retries=2, max_retry_after=30).request("GET", server.url + "/x", "GET thing")
    assert rec.sleeps == [7.0, 30.0]


def test_retries_are_bounded_and_the_last_answer_returned(server, answer, rec):
    server.on("/x", answer(502, {"message": "bad gateway"}))
    response = rec.client(retries=2).request("GET", server.url + "/x", "GET thing")
    assert response.status == 502
    assert len(server.sent("/x")) == 3
    assert len(rec.warnings) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_4xx_is_not_retried(server, answer, rec, status):
    server.on("/x", answer(status, {"message": "no"}))
    response = rec.client(retries=3).request("POST", server.url + "/x", "POST thing")
    assert response.status == status
    assert len(server.sent("/x")) == 1
    assert rec.warnings == []


def test_redirects_are_not_followed(server, answer, rec):
    server.on("/x", answer(302, "", headers={"Location": "https://elsewhere.example/y?k=v"}))
    server.on("/y", answer(200, {}))
    with pytest.raises(HoopError) as caught:
        rec.client().request("POST", server.url + "/x", "token request")
    message = str(caught.value)
    assert "answered a redirect (HTTP 302) to https://elsewhere.example/y." in message
    assert "k=v" not in message
    assert caught.value.details["status"] == 302
    assert server.sent("/y") == []


def test_connection_refused_is_named_and_retried(rec):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HoopError) as caught:
        rec.client(retries=1).request("GET", "http://127.0.0.1:%d/t" % port, "token request")
    assert "token request failed: connection refused (GET http://127.0.0.1:%d/t)" % port in str(
        caught.value
    )
    assert len(rec.warnings) == 1
    assert "connection refused" in rec.warnings[0]


@pytest.mark.parametrize(
    ("exc", "name", "retried"),
    [
        (
            requests.exceptions.ConnectionError(
                "Failed to resolve 'sso.invalid' (Name or service not known)"
            ),
            "DNS lookup failed",
            True,
        ),
        (
            requests.exceptions.SSLError(
                "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
            ),
            "TLS certificate verification failed",
            False,
        ),
        (requests.exceptions.SSLError("wrong version number"), "TLS handshake failed", False),
        (requests.exceptions.ConnectTimeout("timed out"), "connection timed out", True),
        (requests.exceptions.ReadTimeout("read timed out"), "no answer within the timeout", True),
    ],
)
def test_transport_failures_are_named(rec, exc, name, retried):
    client = rec.client(retries=1)
    failing = mock.patch.object(client._session, "request", side_effect=exc)
    with failing, pytest.raises(HoopError) as caught:
        client.request("GET", "https://sso.invalid/token", "token request")
    assert "token request failed: %s (GET https://sso.invalid/token)" % name in str(caught.value)
    assert caught.value.__cause__ is None
    assert len(rec.warnings) == (1 if retried else 0)


def test_tls_failure_advises_ca_path(rec):
    client = rec.client()
    exc = requests.exceptions.SSLError("certificate verify failed")
    failing = mock.patch.object(client._session, "request", side_effect=exc)
    with failing, pytest.raises(HoopError, match="'ca_path'"):
        client.request("GET", "https://sso.invalid/token", "token request")


def test_user_agent_and_accept_are_sent(server, rec):
    server.on("/x", {})
    rec.client(user_agent="my-agent/1").request("GET", server.url + "/x", "GET")
    (sent,) = server.sent("/x")
    assert sent.headers["User-Agent"] == "my-agent/1"
    assert sent.headers["Accept"] == "application/json"


def test_excerpt_is_redacted(server, answer, rec):
    server.on("/x", answer(500, "<p>secret=hunter2+</p>", content_type="text/html"))
    client = rec.client(retries=0)
    client.add_secret("hunter2+")
    response = client.request("GET", server.url + "/x", "GET")
    assert client.excerpt(response) == "secret=********"


def test_body_excerpt_strips_markup_and_shortens():
    html = "<html><script>var a=1;</script><body>\n <b>Bad</b>   gateway " + "x" * 500 + "</body>"
    text = body_excerpt(html, limit=40)
    assert text.startswith("Bad gateway " + "x" * 10)
    assert text.endswith("...")
    assert len(text) == 40


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@host:8443/p?api_key=abc#f", "https://host:8443/p"),
        ("http://host/token", "http://host/token"),
    ],
)
def test_safe_url(url, shown):
    assert safe_url(url) == shown


def test_parse_retry_after_seconds_and_dates():
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_validate_certs_off_is_warned_and_ca_path_falls_back_to_hoop_tlsca(tmp_path):
    env_ca, task_ca = tmp_path / "env-ca.pem", tmp_path / "task-ca.pem"
    env_ca.write_text("pem")
    task_ca.write_text("pem")
    ctx = RunContext(environ={"HOOP_TLSCA": str(env_ca)})
    client = http_client_from_params({"validate_certs": False, "timeout": 5, "retries": 1}, ctx)
    assert client.verify is False
    assert client.ca_path == str(env_ca)
    assert any("validate_certs: false" in w for w in ctx.warnings)

    ctx = RunContext(environ={"HOOP_TLSCA": str(env_ca)})
    client = http_client_from_params({"validate_certs": True, "ca_path": str(task_ca)}, ctx)
    assert client.verify == str(task_ca)
    assert ctx.warnings == []


@pytest.mark.parametrize(
    ("params", "environ", "named"),
    [
        ({"ca_path": "/nonexistent/ca.pem"}, {}, "'ca_path'"),
        ({}, {"HOOP_TLSCA": "/nonexistent/env.pem"}, "HOOP_TLSCA"),
    ],
)
def test_a_missing_ca_bundle_is_named_with_its_source(params, environ, named):
    with pytest.raises(HoopError) as caught:
        http_client_from_params(dict(params, validate_certs=True), RunContext(environ=environ))
    assert named in caught.value.message
    assert "not a readable file" in caught.value.message


def test_short_secrets_are_masked_as_words_only():
    client = HttpClient()
    client.add_secret("x")
    client.add_secret("a-much-longer-secret")
    text = "parameters are mutually exclusive: x, a-much-longer-secret; for example x"
    assert client.redact(text) == (
        "parameters are mutually exclusive: ********, ********; for example ********"
    )


@pytest.mark.parametrize(
    ("params", "message"), [({"timeout": 0}, "'timeout'"), ({"retries": -1}, "'retries'")]
)
def test_bad_http_options(params, message):
    with pytest.raises(HoopError, match=message):
        http_client_from_params(params, RunContext(environ={}))
