"""Unit tests of the gateway connection: URL normalisation, credential choice, error mapping."""

import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.gateway import (
    API_KEY,
    OAUTH2,
    TOKEN,
    Credential,
    GatewayClient,
    normalise_api_url,
    select_credential,
    serviceaccount_path,
)
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import (
    HttpClient,
    HttpResponse,
)

SECRET = "xapi-s3cr3t-value"


@pytest.mark.parametrize(
    "given",
    [
        "https://hoop.example.com",
        "https://hoop.example.com/",
        "https://hoop.example.com/api",
        "https://hoop.example.com/api/",
        "  https://hoop.example.com/api//  ",
    ],
)
def test_api_url_forms_normalise_to_the_cli_form(given):
    assert normalise_api_url(given) == "https://hoop.example.com"


def test_api_url_keeps_a_path_prefix_before_api():
    assert normalise_api_url("http://127.0.0.1:8009/hoop/api/") == "http://127.0.0.1:8009/hoop"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("", "No gateway address"),
        (None, "HOOP_APIURL"),
        ("hoop.example.com", "not a usable URL"),
        ("ftp://hoop.example.com", "not a usable URL"),
        ("https://hoop.example.com/api?x=1", "query string"),
    ],
)
def test_api_url_errors_say_what_to_give(given, expected):
    with pytest.raises(HoopError) as caught:
        normalise_api_url(given)
    assert expected in caught.value.message


def test_api_url_with_credentials_is_refused_without_echoing_them():
    with pytest.raises(HoopError) as caught:
        normalise_api_url("https://user:%s@hoop.example.com" % SECRET)
    assert "credentials" in caught.value.message
    assert SECRET not in caught.value.message


@pytest.mark.parametrize(
    ("subject", "path"),
    [
        ("robot@clients", "/serviceaccounts/robot%40clients"),
        ("org|robot", "/serviceaccounts/org%7Crobot"),
        ("urn:robot:1", "/serviceaccounts/urn%3Arobot%3A1"),
        ("a b", "/serviceaccounts/a%20b"),
    ],
)
def test_subject_is_one_percent_encoded_segment(subject, path):
    assert serviceaccount_path(subject) == path


def ctx_with(env=None):
    return RunContext(environ=env or {})


def test_task_credentials_follow_token_then_key_then_oauth2_and_warn_for_the_ignored():
    ctx = ctx_with()
    cred = select_credential({"token": "t0k", "api_key": SECRET, "client_id": "c"}, ctx)
    assert (cred.kind, cred.source, cred.value) == (TOKEN, "task", "t0k")
    assert len(ctx.warnings) == 2
    assert "'api_key'" in ctx.warnings[0]
    assert "OAuth2" in ctx.warnings[1]
    assert not any(SECRET in w or "t0k" in w for w in ctx.warnings)


def test_api_key_beats_oauth2_client_in_the_task():
    ctx = ctx_with()
    cred = select_credential({"api_key": SECRET, "client_id": "c"}, ctx)
    assert cred.kind == API_KEY
    assert len(ctx.warnings) == 1


def test_task_credential_wins_over_environment_without_warning():
    ctx = ctx_with({"HOOP_TOKEN": "envtoken", "HOOP_APIKEY": "xapi-env"})
    cred = select_credential({"client_id": "robot"}, ctx)
    assert (cred.kind, cred.source) == (OAUTH2, "task")
    assert ctx.warnings == []


def test_environment_token_beats_key_with_a_warning():
    ctx = ctx_with({"HOOP_TOKEN": "envtoken", "HOOP_APIKEY": "xapi-env"})
    cred = select_credential({}, ctx)
    assert (cred.kind, cred.source, cred.value) == (TOKEN, "environment", "envtoken")
    assert len(ctx.warnings) == 1
    assert "HOOP_TOKEN" in ctx.warnings[0]
    assert "HOOP_APIKEY" in ctx.warnings[0]
    assert "envtoken" not in ctx.warnings[0] and "xapi-env" not in ctx.warnings[0]


def test_environment_key_beats_the_account_client_an_awx_credential_injects_beside_it():
    ctx = ctx_with({"HOOP_APIKEY": "xapi-env", "HOOP_CLIENT_ID": "robot"})
    cred = select_credential({}, ctx)
    assert (cred.kind, cred.source, cred.value) == (API_KEY, "environment", "xapi-env")
    assert ctx.warnings == []


@pytest.mark.parametrize(
    ("params", "environ", "named"),
    [({"token": "Bearer "}, {}, "'token'"), ({}, {"HOOP_TOKEN": "bearer"}, "HOOP_TOKEN")],
)
def test_a_bearer_prefix_without_a_token_is_refused(params, environ, named):
    with pytest.raises(HoopError) as caught:
        select_credential(params, ctx_with(environ))
    assert named in caught.value.message
    assert "no token after it" in caught.value.message


def test_oauth2_defaults_alone_are_not_a_credential():
    with pytest.raises(HoopError) as caught:
        select_credential({"validate_token": False, "leeway": 60}, ctx_with())
    message = caught.value.message
    for name in ("'token'", "'api_key'", "'client_id'", "HOOP_TOKEN", "HOOP_APIKEY"):
        assert name in message


def test_empty_environment_values_are_unset():
    with pytest.raises(HoopError):
        select_credential({}, ctx_with({"HOOP_TOKEN": "", "HOOP_APIKEY": ""}))


def test_pasted_bearer_prefix_and_whitespace_are_removed():
    cred = select_credential({"token": " Bearer abc.def.ghi\n"}, ctx_with())
    assert cred.value == "abc.def.ghi"


@pytest.mark.parametrize(
    ("kind", "value", "headers"),
    [
        (TOKEN, "abc", {"Authorization": "Bearer abc"}),
        (API_KEY, "xapi-1", {"Api-Key": "xapi-1"}),
        (
            API_KEY,
            "5b1c7e7a-0f2d-4c1b-9d64-5a4f3e2d1c0b|secret",
            {"Api-Key": "5b1c7e7a-0f2d-4c1b-9d64-5a4f3e2d1c0b|secret"},
        ),
        (API_KEY, "hpk_123", {"Authorization": "Bearer hpk_123"}),
    ],
)
def test_each_credential_is_sent_the_way_the_gateway_expects(kind, value, headers):
    assert Credential(kind, "task", value).headers() == headers


def test_minted_token_is_sent_as_bearer():
    assert Credential(OAUTH2, "task").headers("minted") == {"Authorization": "Bearer minted"}


def make_client(kind=API_KEY, value=SECRET):
    http = HttpClient(retries=2)
    return GatewayClient(
        "https://hoop.example.com/api/", Credential(kind, "task", value), http, ctx_with()
    )


def answer(status, text, content_type="application/json"):
    return HttpResponse(
        status,
        {"Content-Type": content_type},
        text,
        "https://hoop.example.com/api/serviceaccounts?api_key=" + SECRET,
    )


def test_a_refused_token_is_explained_by_what_refuses_tokens():
    client = make_client(TOKEN, SECRET)
    error = client.failure(
        "GET", client.api_url + "/userinfo", answer(401, '{"message": "access denied"}'), "Do"
    )
    assert "expired" in error.message
    assert "not registered" in error.message
    assert "organisation key" not in error.message
    assert SECRET not in error.message


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, '{"message": "unauthorize"}', "current organisation key"),
        (403, '{"message": "access denied"}', "group 'admin'"),
        (422, '{"message": "wrong status value \\"x\\""}', 'wrong status value "x"'),
        (400, '{"message": "binding error"}', "rejected"),
        (404, "404 page not found", "'api_url'"),
        (503, '{"message": "down"}', "retried 2 time(s)"),
        (429, "", "an empty body"),
    ],
)
def test_failures_name_request_status_message_and_next_step(status, body, expected):
    client = make_client()
    error = client.failure("GET", client.api_url + "/serviceaccounts", answer(status, body), "Do")
    assert "GET https://hoop.example.com/api/serviceaccounts" in error.message
    assert "HTTP %d" % status in error.message
    assert expected in error.message
    assert error.details["status"] == status
    assert SECRET not in error.message


def test_server_message_is_quoted_and_echoed_secrets_are_masked():
    client = make_client()
    body = '{"message": "key %s is unknown"}' % SECRET
    error = client.failure("GET", client.api_url + "/userinfo", answer(401, body), "Read")
    assert "key ******** is unknown" in error.message
    assert SECRET not in error.message
    assert SECRET not in repr(error.details)


def test_html_error_page_is_reduced_to_an_excerpt():
    client = make_client()
    page = "<html><head><style>p{}</style></head><body><h1>502 Bad Gateway</h1></body></html>"
    error = client.failure("GET", client.api_url, answer(502, page, "text/html"), "Read")
    assert "an HTML page: '502 Bad Gateway'" in error.message
    assert "<h1>" not in error.message


def test_2xx_html_body_is_an_error_pointing_at_api_url():
    client = make_client()
    with pytest.raises(HoopError) as caught:
        client.json_body("GET", answer(200, "<html>app</html>", "text/html"), "Read")
    assert "not JSON" in caught.value.message
    assert "'api_url'" in caught.value.message
    assert SECRET not in caught.value.message


def test_2xx_empty_body_is_an_error():
    client = make_client()
    with pytest.raises(HoopError) as caught:
        client.json_body("GET", answer(200, ""), "Read")
    assert "empty body" in caught.value.message


def test_failure_labels_the_credential_without_its_value():
    client = make_client(API_KEY, "hpk_" + SECRET)
    error = client.failure("GET", client.api_url, answer(403, '{"message":"access denied"}'), "X")
    assert "managed API key (hpk_) from 'api_key'" in error.message
    assert SECRET not in error.message
