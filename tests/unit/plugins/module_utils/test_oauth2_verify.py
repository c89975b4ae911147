"""Token validation against a key set served by a real local server."""

import base64
import json
import time

import jwt
import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError


@pytest.fixture
def issue(server, signer, token_params, make_client):
    """Serve discovery + JWKS for ``signer``, have the token endpoint return ``token``, and
    fetch it with validate_token on."""

    def run(token, jwks_answers=None, **options):
        server.on(
            "/.well-known/openid-configuration",
            {
                "issuer": server.url,
                "token_endpoint": server.url + "/token",
                "jwks_uri": server.url + "/jwks",
            },
        )
        server.on("/jwks", *(jwks_answers or [{"keys": [signer.jwk()]}]))
        server.on("/token", {"access_token": token, "expires_in": 60})
        params = token_params(
            issuer=server.url, client_id="app", client_secret="s", validate_token=True, **options
        )
        client, _ctx = make_client(params)
        return client.fetch()

    return run


def _claims(server, **extra):
    claims = {"sub": "svc", "iss": server.url, "aud": "urn:hoop", "exp": int(time.time()) + 600}
    claims.update(extra)
    return claims


def test_a_good_token_validates(issue, server, signer):
    result = issue(signer.token(_claims(server)), expected_audience=["urn:hoop"])
    assert result["subject"] == "svc"
    assert result["claims"]["aud"] == "urn:hoop"


def test_a_tampered_payload_is_refused(issue, server, signer):
    header, _payload, signature = signer.token(_claims(server)).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(server, sub="admin")).encode())
    tampered = ".".join([header, forged.rstrip(b"=").decode(), signature])
    with pytest.raises(HoopError, match="signature does not verify"):
        issue(tampered)


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(issue, server, other_signer):
    token = other_signer.token(_claims(server), headers={"kid": "test-key"})
    with pytest.raises(HoopError, match="signature does not verify"):
        issue(token)


def test_wrong_audience_is_refused(issue, server, signer):
    with pytest.raises(HoopError, match="audience is not 'urn:other'"):
        issue(signer.token(_claims(server)), expected_audience=["urn:other"])


def test_wrong_issuer_is_refused(issue, server, signer):
    with pytest.raises(HoopError, match="issuer is not"):
        issue(signer.token(_claims(server, iss="https://evil.example")))


def test_expired_token_is_refused_beyond_the_leeway(issue, server, signer):
    token = signer.token(_claims(server, exp=int(time.time()) - 120))
    with pytest.raises(HoopError, match="expired"):
        issue(token, leeway=10)


def test_leeway_tolerates_small_clock_skew(issue, server, signer):
    token = signer.token(_claims(server, exp=int(time.time()) - 5))
    assert issue(token, leeway=60)["subject"] == "svc"


def test_hs256_signed_with_the_public_key_is_refused(issue, server, signer):
    # The classic confusion attack: an HMAC token keyed with the published RSA key.
    payload = base64.urlsafe_b64encode(json.dumps(_claims(server)).encode()).rstrip(b"=")
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"test-key"}').rstrip(b"=")
    forged = header.decode() + "." + payload.decode() + ".c2ln"
    with pytest.raises(HoopError, match="'HS256', which is not in allowed_algorithms"):
        issue(forged)


def test_alg_none_is_refused(issue, server):
    token = jwt.encode(_claims(server), None, algorithm="none")
    with pytest.raises(HoopError, match="'none', which is not in allowed_algorithms"):
        issue(token)


def test_an_algorithm_outside_the_allowed_list_is_refused(issue, server, signer):
    with pytest.raises(HoopError, match="'RS256', which is not in allowed_algorithms"):
        issue(signer.token(_claims(server)), allowed_algorithms=["ES256"])


def test_an_unknown_kid_refetches_the_key_set_once(issue, server, signer, other_signer):
    result = issue(
        signer.token(_claims(server)),
        jwks_answers=[{"keys": [other_signer.jwk()]}, {"keys": [signer.jwk()]}],
    )
    assert result["subject"] == "svc"
    assert len(server.sent("/jwks")) == 2


def test_a_kid_missing_after_the_refetch_is_refused(issue, server, signer, other_signer):
    with pytest.raises(HoopError, match="No key in .*/jwks matches"):
        issue(signer.token(_claims(server)), jwks_answers=[{"keys": [other_signer.jwk()]}])
    assert len(server.sent("/jwks")) == 2


def test_an_opaque_token_cannot_be_validated(issue):
    with pytest.raises(HoopError, match="opaque, not a signed JWT"):
        issue("2YotnFZFEjr1zCsicMWpAA")


def test_given_jwks_url_needs_an_issuer_for_iss(server, signer, token_params, make_client):
    server.on("/token", {"access_token": signer.token(_claims(server))})
    server.on("/keys", {"keys": [signer.jwk()]})
    params = token_params(
        token_url=server.url + "/token",
        jwks_url=server.url + "/keys",
        client_id="a",
        client_secret="s",
        validate_token=True,
    )
    client, _ctx = make_client(params)
    with pytest.raises(HoopError, match="give 'token_issuer' or 'issuer'"):
        client.fetch()


def test_token_issuer_and_jwks_url_without_discovery(server, signer, token_params, make_client):
    server.on("/token", {"access_token": signer.token(_claims(server, iss="urn:iss"))})
    server.on("/keys", {"keys": [signer.jwk()]})
    params = token_params(
        token_url=server.url + "/token",
        jwks_url=server.url + "/keys",
        token_issuer="urn:iss",
        client_id="a",
        client_secret="s",
        validate_token=True,
    )
    client, _ctx = make_client(params)
    assert client.fetch()["subject"] == "svc"
    assert [r.path for r in server.requests] == ["/token", "/keys"]


def test_unknown_allowed_algorithm_is_an_option_error(token_params, make_client):
    params = token_params(
        token_url="http://127.0.0.1:9/t",
        client_id="a",
        client_secret="s",
        allowed_algorithms=["HS256"],
    )
    with pytest.raises(HoopError, match="not HS256"):
        make_client(params)
