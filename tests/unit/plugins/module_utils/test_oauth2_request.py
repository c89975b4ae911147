"""What goes on the wire for each way of configuring the client-credentials request."""

import base64
import time

import jwt
import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import basic_authorization

AWKWARD = "a+b:c/d=e%f g"
TOKEN = {"access_token": "opaque-token-value", "token_type": "Bearer", "expires_in": 60}


def _sent_token_request(server):
    (request,) = server.sent("/token")
    return request


def test_client_secret_post_sends_credentials_in_the_form(server, token_params, make_client):
    server.on("/token", TOKEN)
    params = token_params(
        token_url=server.url + "/token", client_id="app", client_secret=AWKWARD, scope=["a", "b"]
    )
    client, _ctx = make_client(params)
    client.fetch()

    request = _sent_token_request(server)
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in request.headers
    assert request.form == {
        "grant_type": ["client_credentials"],
        "client_id": ["app"],
        "client_secret": [AWKWARD],
        "scope": ["a b"],
    }


def test_client_secret_basic_form_encodes_id_and_secret_before_base64(
    server, token_params, make_client
):
    server.on("/token", TOKEN)
    params = token_params(
        token_url=server.url + "/token",
        client_id="app:x",
        client_secret=AWKWARD,
        auth_method="client_secret_basic",
    )
    client, _ctx = make_client(params)
    client.fetch()

    request = _sent_token_request(server)
    scheme, encoded = request.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == "app%3Ax:a%2Bb%3Ac%2Fd%3De%25f+g"
    assert "client_secret" not in request.form
    assert "client_id" not in request.form


def test_basic_authorization_round_trips_through_form_decoding():
    from urllib.parse import unquote_plus

    header = basic_authorization("id with space", AWKWARD)
    user, _sep, password = base64.b64decode(header.split(" ")[1]).decode().partition(":")
    assert unquote_plus(user) == "id with space"
    assert unquote_plus(password) == AWKWARD


def test_private_key_jwt_sends_a_signed_assertion_for_the_token_endpoint(
    server, token_params, make_client, signer
):
    server.on("/token", TOKEN)
    token_url = server.url + "/token"
    params = token_params(
        token_url=token_url, client_id="app", private_key=signer.pem(), key_id="k1"
    )
    client, _ctx = make_client(params)
    before = int(time.time())
    client.fetch()

    form = _sent_token_request(server).form
    assert form["client_id"] == ["app"]
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assertion = form["client_assertion"][0]
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256"
    assert header["kid"] == "k1"
    claims = jwt.decode(
        assertion, signer.key.public_key(), algorithms=["RS256"], audience=token_url
    )
    assert claims["iss"] == claims["sub"] == "app"
    assert claims["exp"] - claims["iat"] == 300
    assert claims["iat"] >= before
    assert len(claims["jti"]) == 32


def test_private_key_jwt_reads_an_encrypted_key_file(
    server, token_params, make_client, signer, tmp_path
):
    server.on("/token", TOKEN)
    path = tmp_path / "key.pem"
    path.write_text(signer.pem(passphrase="pass phrase"))
    params = token_params(
        token_url=server.url + "/token",
        client_id="app",
        private_key=str(path),
        private_key_passphrase="pass phrase",
        assertion_audience="https://issuer.example",
    )
    client, _ctx = make_client(params)
    client.fetch()

    assertion = _sent_token_request(server).form["client_assertion"][0]
    jwt.decode(
        assertion,
        signer.key.public_key(),
        algorithms=["RS256"],
        audience="https://issuer.example",
    )


def _certificate_for(key):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert, cert.public_bytes(serialization.Encoding.PEM).decode()


def test_private_key_jwt_sends_certificate_thumbprints(server, token_params, make_client, signer):
    import hashlib

    from cryptography.hazmat.primitives import serialization

    server.on("/token", TOKEN)
    cert, pem = _certificate_for(signer.key)
    der = cert.public_bytes(serialization.Encoding.DER)
    params = token_params(
        token_url=server.url + "/token",
        client_id="app",
        private_key=signer.pem(),
        certificate=pem,
    )
    client, _ctx = make_client(params)
    client.fetch()

    header = jwt.get_unverified_header(_sent_token_request(server).form["client_assertion"][0])

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    assert header["x5t"] == b64(hashlib.sha1(der).digest())  # noqa: S324
    assert header["x5t#S256"] == b64(hashlib.sha256(der).digest())
    assert "kid" not in header


def test_certificate_of_another_key_is_refused(token_params, make_client, signer, other_signer):
    _cert, pem = _certificate_for(other_signer.key)
    params = token_params(
        token_url="http://127.0.0.1:9/token",
        client_id="app",
        private_key=signer.pem(),
        certificate=pem,
    )
    client, _ctx = make_client(params)
    with pytest.raises(HoopError, match="does not belong to 'private_key'"):
        client.fetch()


def test_ec_key_signs_with_es256_by_default(server, token_params, make_client):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    server.on("/token", TOKEN)
    params = token_params(token_url=server.url + "/token", client_id="app", private_key=pem)
    client, _ctx = make_client(params)
    client.fetch()

    assertion = _sent_token_request(server).form["client_assertion"][0]
    assert jwt.get_unverified_header(assertion)["alg"] == "ES256"


@pytest.mark.parametrize(
    ("passphrase", "pem_passphrase", "message"),
    [
        (None, "secret-pass", "is encrypted: give its passphrase"),
        ("wrong-pass", "secret-pass", "could not be decrypted"),
        ("extra-pass", None, "is not encrypted"),
    ],
)
def test_private_key_problems_are_explained_without_the_key(
    token_params, make_client, signer, passphrase, pem_passphrase, message
):
    pem = signer.pem(passphrase=pem_passphrase)
    params = token_params(
        token_url="http://127.0.0.1:9/token",
        client_id="app",
        private_key=pem,
        private_key_passphrase=passphrase,
    )
    client, _ctx = make_client(params)
    with pytest.raises(HoopError, match=message) as caught:
        client.fetch()
    assert pem not in str(caught.value)
    assert "-----BEGIN" not in str(caught.value)
    if passphrase:
        assert passphrase not in str(caught.value)


def test_unreadable_private_key_path_is_not_echoed(token_params, make_client):
    params = token_params(
        token_url="http://127.0.0.1:9/token", client_id="app", private_key="MIIEvQIBADANBgkq"
    )
    client, _ctx = make_client(params)
    with pytest.raises(HoopError, match="neither PEM content nor the path") as caught:
        client.fetch()
    assert "MIIEvQIBADANBgkq" not in str(caught.value)


def test_scope_string_audience_resources_and_extra_params(server, token_params, make_client):
    server.on("/token", TOKEN)
    params = token_params(
        token_url=server.url + "/token",
        client_id="app",
        client_secret="s",
        scope="openid hoop:read",
        audience="https://api.example",
        resource=["urn:one", "urn:two"],
        extra_params={"tenant_hint": "blue", "n": 1},
    )
    client, _ctx = make_client(params)
    client.fetch()

    form = _sent_token_request(server).form
    assert form["scope"] == ["openid hoop:read"]
    assert form["audience"] == ["https://api.example"]
    assert form["resource"] == ["urn:one", "urn:two"]
    assert form["tenant_hint"] == ["blue"]
    assert form["n"] == ["1"]


def test_extra_params_cannot_replace_the_grant(token_params, make_client):
    params = token_params(
        token_url="http://127.0.0.1:9/token",
        client_id="app",
        client_secret="s",
        extra_params={"grant_type": "password"},
    )
    with pytest.raises(HoopError, match="extra_params may not set grant_type"):
        make_client(params)


def test_environment_fills_every_option_when_the_task_has_no_client_id(
    server, token_params, make_client
):
    server.on("/token", TOKEN)
    environ = {
        "HOOP_CLIENT_ID": "env-app",
        "HOOP_CLIENT_SECRET": "env-secret",
        "HOOP_TOKEN_URL": server.url + "/token",
        "HOOP_SCOPE": "a,b c",
        "HOOP_AUDIENCE": "aud",
        "HOOP_AUTH_METHOD": "client_secret_basic",
    }
    client, _ctx = make_client(token_params(scope=["task-scope"]), environ=environ)
    result = client.fetch()

    request = _sent_token_request(server)
    assert base64.b64decode(request.headers["Authorization"].split()[1]) == b"env-app:env-secret"
    assert request.form["scope"] == ["task-scope"]
    assert request.form["audience"] == ["aud"]
    assert result["token_url"] == server.url + "/token"


def test_environment_is_ignored_when_the_task_sets_client_id(token_params, make_client):
    environ = {"HOOP_CLIENT_SECRET": "env-secret", "HOOP_TOKEN_URL": "http://127.0.0.1:9/t"}
    params = token_params(client_id="task-app", token_url="http://127.0.0.1:9/token")
    with pytest.raises(HoopError) as caught:
        make_client(params, environ=environ)
    message = str(caught.value)
    assert "needs 'client_secret'" in message
    assert "Environment variables are not read because the task sets 'client_id'" in message
    assert "env-secret" not in message


def test_no_client_at_all_says_what_to_set(token_params, make_client):
    with pytest.raises(HoopError, match="HOOP_CLIENT_ID"):
        make_client(token_params())


def test_secret_and_key_both_from_the_environment_is_an_error(token_params, make_client):
    environ = {
        "HOOP_CLIENT_ID": "app",
        "HOOP_CLIENT_SECRET": "env-secret",
        "HOOP_PRIVATE_KEY": "/nonexistent.pem",
        "HOOP_TOKEN_URL": "http://127.0.0.1:9/token",
    }
    with pytest.raises(HoopError, match="HOOP_CLIENT_SECRET, HOOP_PRIVATE_KEY") as caught:
        make_client(token_params(), environ=environ)
    assert "env-secret" not in str(caught.value)


def test_an_endpoint_is_required(token_params, make_client):
    with pytest.raises(HoopError, match="give 'token_url'"):
        make_client(token_params(client_id="a", client_secret="s"))


def test_openid_discovery_finds_the_token_endpoint(server, token_params, make_client):
    server.on(
        "/.well-known/openid-configuration",
        {"issuer": server.url, "token_endpoint": server.url + "/oauth/token"},
    )
    server.on("/oauth/token", TOKEN)
    client, _ctx = make_client(token_params(issuer=server.url, client_id="a", client_secret="s"))
    assert client.fetch()["token_url"] == server.url + "/oauth/token"


def test_discovery_falls_back_to_rfc8414_metadata_inserted_before_the_path(
    server, token_params, make_client
):
    server.on(
        "/.well-known/oauth-authorization-server/tenant1",
        {"issuer": server.url + "/tenant1", "token_endpoint": server.url + "/tenant1/token"},
    )
    server.on("/tenant1/token", TOKEN)
    client, _ctx = make_client(
        token_params(issuer=server.url + "/tenant1/", client_id="a", client_secret="s")
    )
    assert client.fetch()["token_url"] == server.url + "/tenant1/token"
    paths = [r.path for r in server.requests]
    assert paths == [
        "/tenant1/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/tenant1",
        "/tenant1/token",
    ]


def test_discovery_failure_lists_what_was_tried(server, token_params, make_client):
    client, _ctx = make_client(token_params(issuer=server.url, client_id="a", client_secret="s"))
    with pytest.raises(HoopError) as caught:
        client.fetch()
    message = str(caught.value)
    assert "No authorization server metadata" in message
    assert "/.well-known/openid-configuration (HTTP 404)" in message
    assert "/.well-known/oauth-authorization-server (HTTP 404)" in message


def test_token_url_wins_over_discovery(server, token_params, make_client):
    server.on("/direct", TOKEN)
    client, _ctx = make_client(
        token_params(
            token_url=server.url + "/direct",
            issuer=server.url,
            client_id="a",
            client_secret="s",
        )
    )
    client.fetch()
    assert [r.path for r in server.requests] == ["/direct"]


def test_plain_http_to_a_remote_endpoint_is_warned_about(token_params, make_client):
    client, ctx = make_client(
        token_params(token_url="http://sso.example.invalid/token", client_id="a", client_secret="s")
    )
    client.token_endpoint()
    assert any("plain http" in w for w in ctx.warnings)


def test_loopback_http_is_not_warned_about(token_params, make_client):
    client, ctx = make_client(
        token_params(token_url="http://127.0.0.1:9/token", client_id="a", client_secret="s")
    )
    client.token_endpoint()
    assert ctx.warnings == []


def test_a_choice_from_the_environment_is_checked(token_params, make_client):
    environ = {
        "HOOP_CLIENT_ID": "app",
        "HOOP_CLIENT_SECRET": "s",
        "HOOP_TOKEN_URL": "http://127.0.0.1:9/token",
        "HOOP_AUTH_METHOD": "client_secret_jwt",
    }
    with pytest.raises(HoopError, match="HOOP_AUTH_METHOD must be one of client_secret_post"):
        make_client(token_params(), environ=environ)
