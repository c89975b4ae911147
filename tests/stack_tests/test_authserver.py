"""The local authorization server behaves as the tests of the collection expect it to."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus

import jwt
import pytest
import requests

HOOPSTACK = Path(__file__).resolve().parent.parent / "stack" / "hoopstack"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(autouse=True)
def _clean_token_endpoint(stack):
    stack.clear_faults()
    stack.reset_logs()
    yield
    stack.clear_faults()


def post_token(stack, name, data=None, auth=None):
    client = stack.clients[name]
    form = {"grant_type": "client_credentials", **(data or {})}
    if auth is None:
        auth = client["auth_method"]
    headers = {}
    if auth == "client_secret_post":
        form.update(client_id=client["client_id"], client_secret=client["client_secret"])
    elif auth == "client_secret_basic":
        # RFC 6749 2.3.1: both parts are form-encoded before base64.
        pair = f"{quote_plus(client['client_id'])}:{quote_plus(client['client_secret'])}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    elif auth == "private_key_jwt":
        now = int(time.time())
        claims = {
            "iss": client["client_id"],
            "sub": client["client_id"],
            "aud": stack.token_url,
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        }
        assertion = jwt.encode(
            claims, client["private_key_pem"], algorithm="RS256", headers={"kid": client["kid"]}
        )
        form.update(
            client_id=client["client_id"],
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=assertion,
        )
    return requests.post(
        stack.token_url, data=form, headers=headers, allow_redirects=False, timeout=10
    )


def access_token(stack, name, **kwargs):
    response = post_token(stack, name, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def discovery(stack):
    url = f"{stack.issuer}/.well-known/openid-configuration"
    return requests.get(url, timeout=10).json()


def verified_claims(stack, token):
    jwks_client = jwt.PyJWKClient(discovery(stack)["jwks_uri"])
    key = jwks_client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=stack.resource,
        issuer=stack.issuer,
    )


def test_discovery_names_the_endpoints_and_hides_the_controls(stack):
    document = discovery(stack)

    assert document["issuer"] == stack.issuer
    assert document["token_endpoint"] == stack.token_url
    assert document["jwks_uri"] == f"{stack.issuer}/jwks"
    assert document["introspection_endpoint"] == f"{stack.issuer}/token/introspection"
    assert "client_credentials" in document["grant_types_supported"]
    assert "/__stack" not in json.dumps(document)


def test_jwks_publishes_one_rsa_signing_key_without_private_parts(stack):
    keys = requests.get(discovery(stack)["jwks_uri"], timeout=10).json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])


@pytest.mark.parametrize("name", ["demo", "basic", "keyjwt", "admin"])
def test_each_auth_method_gets_an_at_jwt_whose_sub_is_the_client_id(stack, name):
    token = access_token(stack, name)

    header = jwt.get_unverified_header(token)
    claims = verified_claims(stack, token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    assert claims["sub"] == stack.clients[name]["client_id"]
    assert claims["client_id"] == stack.clients[name]["client_id"]
    assert claims["sub"] == stack.clients[name]["expected_sub"]


def test_basic_client_secret_needs_form_encoding(stack):
    secret = stack.clients["basic"]["client_secret"]
    assert set("+ :/=%") <= set(secret)

    assert post_token(stack, "basic").status_code == 200


def test_entra_token_has_object_id_as_sub_and_app_claims(stack):
    client = stack.clients["entra"]

    claims = verified_claims(stack, access_token(stack, "entra"))

    assert claims["sub"] != client["client_id"]
    assert str(uuid.UUID(claims["sub"])) == claims["sub"]
    assert claims["oid"] == claims["sub"] == client["expected_sub"]
    assert claims["appid"] == claims["azp"] == client["client_id"]
    assert str(uuid.UUID(claims["tid"])) == claims["tid"]
    assert claims["ver"] == "2.0"


def test_auth0_token_sub_ends_with_clients(stack):
    client = stack.clients["auth0"]

    claims = verified_claims(stack, access_token(stack, "auth0"))

    assert claims["sub"] == f"{client['client_id']}@clients" == client["expected_sub"]
    assert claims["gty"] == "client-credentials"


def test_keycloak_token_sub_is_the_service_account_user(stack):
    client = stack.clients["keycloak"]

    claims = verified_claims(stack, access_token(stack, "keycloak"))

    assert str(uuid.UUID(claims["sub"])) == claims["sub"] == client["expected_sub"]
    assert claims["azp"] == client["client_id"]
    assert claims["preferred_username"] == f"service-account-{client['client_id']}"


def test_nosub_token_has_no_sub(stack):
    claims = verified_claims(stack, access_token(stack, "nosub"))

    assert "sub" not in claims
    assert stack.clients["nosub"]["expected_sub"] is None


def test_shortlived_token_lives_three_seconds(stack):
    response = post_token(stack, "shortlived")

    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert response.json()["expires_in"] <= 3
    assert claims["exp"] - claims["iat"] == 3


def test_wrong_secret_is_invalid_client(stack):
    client = stack.clients["demo"]
    form = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"] + "x",
    }

    response = requests.post(stack.token_url, data=form, timeout=10)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("name", "presented"),
    [("demo", "client_secret_basic"), ("basic", "client_secret_post")],
)
def test_auth_method_other_than_registered_is_invalid_client(stack, name, presented):
    response = post_token(stack, name, auth=presented)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert presented in response.json()["error_description"]


def test_unknown_scope_is_refused(stack):
    response = post_token(stack, "demo", data={"scope": "hoop:read hoop:everything"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "hoop:everything" in response.json()["error_description"]


def test_scope_declared_for_another_client_is_refused(stack):
    response = post_token(stack, "demo", data={"scope": "hoop:admin"})

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_allowed_scope_is_granted(stack):
    response = post_token(stack, "admin", data={"scope": "hoop:read hoop:admin"})

    assert response.status_code == 200
    assert response.json()["scope"] == "hoop:read hoop:admin"
    assert (
        verified_claims(stack, response.json()["access_token"])["scope"] == "hoop:read hoop:admin"
    )


def test_opaque_client_gets_a_token_that_introspects_to_its_subject(stack):
    client = stack.clients["opaque"]
    introspector = stack.describe()["introspection_client"]

    token = access_token(stack, "opaque")
    answer = requests.post(
        discovery(stack)["introspection_endpoint"],
        data={"token": token},
        auth=(introspector["client_id"], introspector["client_secret"]),
        timeout=10,
    ).json()

    assert token.count(".") != 2
    assert answer["active"] is True
    assert answer["sub"] == client["client_id"] == client["expected_sub"]
    assert answer["client_id"] == client["client_id"]


def test_only_the_introspection_client_may_introspect(stack):
    token = access_token(stack, "opaque")
    demo = stack.clients["demo"]

    answer = requests.post(
        discovery(stack)["introspection_endpoint"],
        data={
            "token": token,
            "client_id": demo["client_id"],
            "client_secret": demo["client_secret"],
        },
        timeout=10,
    ).json()

    assert answer == {"active": False}


def test_request_log_records_method_and_client_but_no_secret(stack):
    post_token(stack, "demo")
    post_token(stack, "basic", auth="client_secret_post")

    log = stack.token_requests()

    assert [(e["client_id"], e["auth_method"], e["status"]) for e in log] == [
        (stack.clients["demo"]["client_id"], "client_secret_post", 200),
        (stack.clients["basic"]["client_id"], "client_secret_post", 401),
    ]
    assert all(e["method"] == "POST" and e["path"] == "/token" for e in log)
    dumped = json.dumps(log)
    assert stack.clients["demo"]["client_secret"] not in dumped
    assert stack.clients["basic"]["client_secret"] not in dumped


def test_reset_logs_empties_the_token_log(stack):
    post_token(stack, "demo")

    stack.reset_logs()

    assert stack.token_requests() == []


def test_fault_answers_the_next_count_requests_then_stops(stack):
    stack.token_faults(status=503, count=2, retry_after=1)

    answers = [post_token(stack, "demo") for _attempt in range(3)]

    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "1"
    assert answers[0].json()["error"] == "temporarily_unavailable"
    assert [e["fault"] for e in stack.token_requests()] == [True, True, False]


def test_fault_with_html_body(stack):
    stack.token_faults(status=502, body="<html><body>bad gateway</body></html>")

    response = post_token(stack, "demo")

    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == "<html><body>bad gateway</body></html>"


def test_fault_with_redirect(stack):
    stack.token_faults(status=307, location="http://127.0.0.1:9/elsewhere")

    response = post_token(stack, "demo")

    assert response.status_code == 307
    assert response.headers["Location"] == "http://127.0.0.1:9/elsewhere"


def test_delay_only_fault_still_answers_normally(stack):
    stack.token_faults(status=None, delay=0.2)

    response = post_token(stack, "demo")

    assert response.status_code == 200
    assert stack.token_requests()[0]["fault"] is False


def test_faults_queue_one_after_another(stack):
    stack.token_faults(status=429, retry_after=2)
    stack.token_faults(status=500)

    statuses = [post_token(stack, "demo").status_code for _attempt in range(3)]

    assert statuses == [429, 500, 200]


def test_clearing_faults_restores_service(stack):
    stack.token_faults(status=503, count=5)

    stack.clear_faults()

    assert post_token(stack, "demo").status_code == 200


def test_state_files_are_private(stack):
    state_dir = Path(stack.state_dir)
    private = ["stack.json", "authserver.json", "keyjwt-key.pem"]

    modes = {name: stat.S_IMODE(os.stat(state_dir / name).st_mode) for name in private}

    assert modes == dict.fromkeys(private, 0o600)
    assert stat.S_IMODE(os.stat(state_dir).st_mode) == 0o700


def test_stack_json_describes_the_running_stack(stack):
    state = json.loads((Path(stack.state_dir) / "stack.json").read_text())

    assert state["issuer"] == stack.issuer
    assert state["token_url"] == stack.token_url
    assert state["gateway_url"] == stack.gateway_url
    assert state["api_key"].startswith("xapi-")
    assert state["clients"]["demo"]["client_secret"] == stack.clients["demo"]["client_secret"]


def test_env_command_prints_exports_for_the_demo_client(stack):
    result = subprocess.run(
        [sys.executable, str(HOOPSTACK), "env", "--state-dir", str(stack.state_dir)],
        capture_output=True,
        text=True,
        check=True,
    )

    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines()
    )
    assert exports["HOOP_APIURL"] == stack.gateway_url
    assert exports["HOOP_TOKEN_URL"] == stack.token_url
    assert exports["HOOP_CLIENT_ID"] == stack.clients["demo"]["client_id"]
    assert set(exports) >= {"HOOP_APIKEY", "HOOP_CLIENT_SECRET"}


def test_env_command_without_a_stack_says_how_to_start_one(tmp_path):
    result = subprocess.run(
        [sys.executable, str(HOOPSTACK), "env", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert "hoopstack start --state-dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_gateway_accepts_the_stack_tokens(stack):
    token = access_token(stack, "keycloak")

    response = requests.get(
        f"{stack.gateway_url}/api/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json()["email"] == stack.clients["keycloak"]["expected_sub"]


def test_tls_stack_serves_both_servers_with_the_private_ca(tls_stack):
    assert tls_stack.issuer.startswith("https://")
    assert tls_stack.gateway_url.startswith("https://")
    token = tls_stack.access_token("demo")

    response = requests.get(
        f"{tls_stack.gateway_url}/api/userinfo",
        headers={"Authorization": f"Bearer {token}"},
        verify=tls_stack.ca_path,
        timeout=10,
    )

    assert response.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_stack.issuer + "/jwks", verify=requests.certs.where(), timeout=10)


def test_start_stop_cli_runs_a_detached_stack(tmp_path):
    state_dir = tmp_path / "cli"
    start = subprocess.run(
        [sys.executable, str(HOOPSTACK), "start", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        assert start.returncode == 0, start.stderr
        state = json.loads((state_dir / "stack.json").read_text())
        assert requests.get(state["issuer"] + "/jwks", timeout=10).status_code == 200
    finally:
        stop = subprocess.run(
            [sys.executable, str(HOOPSTACK), "stop", "--state-dir", str(state_dir)],
            capture_output=True,
            text=True,
            check=False,
        )

    assert stop.returncode == 0
    assert not (state_dir / "stack.json").exists()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(state["issuer"] + "/jwks", timeout=10)
