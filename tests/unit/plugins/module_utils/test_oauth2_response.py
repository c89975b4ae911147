"""What is made of the token endpoint's answer: claims, expiry, subject, and refusals."""

import datetime
import time

import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import (
    iso_utc,
    parse_expires_in,
    run_hoop_token,
)

SECRET = "s3cr3t+/:=%value"


@pytest.fixture
def fetch(server, token_params, make_client):
    """Fetch a token from the scripted server with a client secret; returns (result, ctx)."""

    def run(*answers, **options):
        server.on("/token", *answers)
        params = token_params(
            token_url=server.url + "/token", client_id="app", client_secret=SECRET, **options
        )
        client, ctx = make_client(params)
        return client.fetch(), ctx

    return run


def test_jwt_claims_and_subject_are_read(fetch, signer):
    token = signer.token({"sub": "svc-1", "iss": "https://issuer", "exp": 4102444800})
    result, _ctx = fetch({"access_token": token, "token_type": "Bearer", "expires_in": 300})
    assert result["format"] == "jwt"
    assert result["subject"] == "svc-1"
    assert result["claims"]["iss"] == "https://issuer"
    assert result["subject_problem"] is None
    assert result["access_token"] == token


def test_expires_in_as_a_string_becomes_an_int_and_sets_expires_at(fetch):
    before = time.time()
    result, _ctx = fetch({"access_token": "opaque", "expires_in": "3599"})
    after = time.time()
    assert result["expires_in"] == 3599
    expires_at = datetime.datetime.strptime(result["expires_at"], "%Y-%m-%dT%H:%M:%SZ")
    expires_at = expires_at.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert int(before) + 3599 <= expires_at <= after + 3599


def test_missing_expires_in_is_taken_from_the_exp_claim(fetch, signer):
    exp = int(time.time()) + 1000
    result, _ctx = fetch({"access_token": signer.token({"sub": "x", "exp": exp})})
    assert 995 <= result["expires_in"] <= 1000
    assert result["expires_at"] == iso_utc(exp)


def test_unknown_expiry_is_none(fetch):
    result, _ctx = fetch({"access_token": "opaque"})
    assert result["expires_in"] is None
    assert result["expires_at"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3600, 3600), ("3600", 3600), ("3600.0", 3600), (59.9, 59), ("soon", None), (None, None)],
)
def test_parse_expires_in(value, expected):
    assert parse_expires_in(value) == expected


def test_iso_utc():
    assert iso_utc(0) == "1970-01-01T00:00:00Z"


def test_granted_scope_is_reported_else_the_requested_one(fetch):
    result, _ctx = fetch({"access_token": "t", "scope": "a"}, scope=["a", "b"])
    assert result["scope"] == "a"


def test_omitted_scope_means_the_requested_one(fetch):
    result, _ctx = fetch({"access_token": "t"}, scope=["a", "b"])
    assert result["scope"] == "a b"


def test_opaque_token_has_no_subject_and_a_reason(fetch):
    result, _ctx = fetch({"access_token": "2YotnFZFEjr1zCsicMWpAA"})
    assert result["format"] == "opaque"
    assert result["subject"] is None
    assert result["claims"] == {}
    assert "opaque" in result["subject_problem"]
    assert "audience" in result["subject_problem"]


def test_encrypted_token_is_opaque_with_its_own_reason(fetch):
    result, _ctx = fetch({"access_token": "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"})
    assert result["format"] == "opaque"
    assert "encrypted (JWE)" in result["subject_problem"]


def test_jwt_without_sub_names_the_keycloak_basic_scope(fetch, signer):
    result, _ctx = fetch({"access_token": signer.token({"azp": "app", "exp": 4102444800})})
    assert result["format"] == "jwt"
    assert result["subject"] is None
    assert "'basic'" in result["subject_problem"]


def test_a_non_string_sub_is_no_subject_and_says_why(fetch, signer):
    result, _ctx = fetch({"access_token": signer.token({"sub": 123, "exp": 4102444800})})
    assert result["subject"] is None
    assert "is of type int, not a string" in result["subject_problem"]


def test_run_hoop_token_warns_about_an_unknown_subject_and_changes_nothing(server, token_params):
    from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext

    server.on("/token", {"access_token": "opaque"})
    ctx = RunContext(environ={}, check_mode=True)
    params = token_params(token_url=server.url + "/token", client_id="a", client_secret="s")
    result = run_hoop_token(params, ctx)
    assert result["changed"] is False
    assert result["subject_problem"] == ctx.warnings[0]
    assert len(ctx.warnings) == 1
    assert "opaque" in ctx.warnings[0]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, "invalid_client"),
        (400, "invalid_scope"),
        (400, "unauthorized_client"),
        (400, "invalid_target"),
        (400, "invalid_grant"),
        (400, "unsupported_grant_type"),
        (400, "invalid_request"),
    ],
)
def test_oauth_errors_name_endpoint_status_code_and_description(fetch, answer, status, error):
    with pytest.raises(HoopError) as caught:
        fetch(answer(status, {"error": error, "error_description": "told you\r\n  so"}))
    exc = caught.value
    assert "/token refused the request (HTTP %d, %s: told you so)." % (status, error) in str(exc)
    assert exc.details["status"] == status
    assert exc.details["error"] == error
    assert exc.details["error_description"] == "told you so"
    assert exc.details["url"].endswith("/token")


def test_entra_wrong_secret_gets_the_secret_value_hint(fetch, answer):
    description = (
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.\r\nTrace ID: 1"
    )
    with pytest.raises(HoopError, match="must be the Value"):
        fetch(answer(401, {"error": "invalid_client", "error_description": description}))


def test_a_secret_echoed_by_the_server_is_masked(fetch, answer):
    with pytest.raises(HoopError) as caught:
        fetch(
            answer(
                401,
                {"error": "invalid_client", "error_description": "bad secret " + SECRET},
            )
        )
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value.details)
    assert "bad secret ********" in str(caught.value)


def test_long_descriptions_are_shortened(fetch, answer):
    with pytest.raises(HoopError) as caught:
        fetch(answer(400, {"error": "invalid_request", "error_description": "x" * 5000}))
    assert len(caught.value.details["error_description"]) == 300


def test_html_error_page_is_reported_with_status_and_clean_excerpt(fetch, answer):
    page = (
        "<html><head><style>body{color:red}</style></head><body><h1>502 Bad Gateway</h1>"
        "<p>nginx</p></body></html>"
    )
    with pytest.raises(HoopError) as caught:
        fetch(answer(502, page, content_type="text/html"))
    message = str(caught.value)
    assert "answered HTTP 502 with text/html that is not an OAuth 2.0 error" in message
    assert ": 502 Bad Gateway nginx." in message
    assert "<" not in message
    assert "color" not in message


def test_html_with_status_200_is_not_taken_for_a_token(fetch, answer):
    with pytest.raises(HoopError, match="answered HTTP 200 with text/html instead of JSON"):
        fetch(answer(200, "<html><body>Sign in</body></html>", content_type="text/html"))


def test_json_without_access_token_is_refused(fetch):
    with pytest.raises(HoopError, match="without an access_token"):
        fetch({"token_type": "Bearer"})


def test_the_token_is_registered_as_a_secret(server, token_params, make_client):
    server.on("/token", {"access_token": "tok-123"})
    params = token_params(token_url=server.url + "/token", client_id="a", client_secret=SECRET)
    client, _ctx = make_client(params)
    client.fetch()
    assert {"tok-123", SECRET} <= client.http.secrets
