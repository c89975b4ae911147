"""Provider presets: the endpoints they build and the request rules they enforce."""

import pytest

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_presets import (
    error_hint,
    resolve_preset,
)

TENANT = "2c4e6a8b-0d1f-4e3a-b5c7-d9e1f3a5b7c9"


def test_entra_builds_v2_endpoints_and_default_scope():
    preset = resolve_preset("entra", {"tenant": TENANT, "client_id": "cid"})
    base = "https://login.microsoftonline.com/" + TENANT
    assert preset.token_url == base + "/oauth2/v2.0/token"
    assert preset.issuer == base + "/v2.0"
    assert preset.jwks_url == base + "/discovery/v2.0/keys"
    assert preset.default_scope == ["cid/.default"]


@pytest.mark.parametrize("host", ["login.microsoftonline.us", "https://login.microsoftonline.us/"])
def test_entra_sovereign_cloud_host(host):
    preset = resolve_preset("entra", {"tenant": "contoso.onmicrosoft.us", "authority_host": host})
    assert preset.token_url == (
        "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/token"
    )


def test_okta_uses_the_default_authorization_server_and_needs_a_scope():
    preset = resolve_preset("okta", {"domain": "example.okta.com"})
    assert preset.token_url == "https://example.okta.com/oauth2/default/v1/token"
    assert preset.issuer == "https://example.okta.com/oauth2/default"
    assert preset.jwks_url == "https://example.okta.com/oauth2/default/v1/keys"
    assert preset.needs_scope


def test_okta_custom_authorization_server():
    preset = resolve_preset(
        "okta", {"domain": "https://example.okta.com/", "authorization_server": "aus1"}
    )
    assert preset.token_url == "https://example.okta.com/oauth2/aus1/v1/token"


def test_auth0_needs_audience_and_has_a_trailing_slash_issuer():
    preset = resolve_preset("auth0", {"domain": "example.us.auth0.com"})
    assert preset.token_url == "https://example.us.auth0.com/oauth/token"
    assert preset.issuer == "https://example.us.auth0.com/"
    assert preset.jwks_url == "https://example.us.auth0.com/.well-known/jwks.json"
    assert preset.needs_audience


@pytest.mark.parametrize(
    ("base_url", "prefix"),
    [
        ("https://sso.example.com", "https://sso.example.com"),
        ("https://sso.example.com/", "https://sso.example.com"),
        ("https://sso.example.com/auth", "https://sso.example.com/auth"),
        ("sso.example.com/auth/", "https://sso.example.com/auth"),
    ],
)
def test_keycloak_with_and_without_legacy_auth_prefix(base_url, prefix):
    preset = resolve_preset("keycloak", {"base_url": base_url, "realm": "ops"})
    assert preset.token_url == prefix + "/realms/ops/protocol/openid-connect/token"
    assert preset.issuer == prefix + "/realms/ops"
    assert preset.jwks_url == prefix + "/realms/ops/protocol/openid-connect/certs"


def test_google_is_refused_with_an_explanation():
    with pytest.raises(HoopError, match="no client-credentials grant"):
        resolve_preset("google", {})


@pytest.mark.parametrize(
    ("provider", "values", "missing"),
    [
        ("entra", {}, "'tenant'"),
        ("okta", {}, "'domain'"),
        ("auth0", {}, "'domain'"),
        ("keycloak", {"realm": "r"}, "'base_url'"),
        ("keycloak", {"base_url": "https://k"}, "'realm'"),
    ],
)
def test_missing_preset_values_are_named(provider, values, missing):
    with pytest.raises(HoopError, match=missing):
        resolve_preset(provider, values)


def test_okta_without_scope_fails_before_any_request(token_params, make_client):
    params = token_params(
        provider="okta", domain="example.okta.com", client_id="a", client_secret="s"
    )
    with pytest.raises(HoopError, match="provider okta needs 'scope'"):
        make_client(params)


def test_auth0_without_audience_fails_before_any_request(token_params, make_client):
    params = token_params(provider="auth0", domain="t.auth0.com", client_id="a", client_secret="s")
    with pytest.raises(HoopError, match="provider auth0 needs 'audience'"):
        make_client(params)


def test_entra_preset_sends_the_default_scope(token_params, make_client):
    params = token_params(provider="entra", tenant=TENANT, client_id="cid", client_secret="s")
    client, _ctx = make_client(params)
    form, _headers = client._form(client.token_endpoint())
    assert ("scope", "cid/.default") in form
    assert client.token_endpoint().startswith("https://login.microsoftonline.com/" + TENANT)


def test_explicit_token_url_wins_over_the_preset(token_params, make_client):
    params = token_params(
        provider="entra",
        tenant=TENANT,
        token_url="https://proxy.example/token",
        client_id="cid",
        client_secret="s",
    )
    client, _ctx = make_client(params)
    assert client.token_endpoint() == "https://proxy.example/token"


@pytest.mark.parametrize(
    ("error", "description", "expected"),
    [
        ("invalid_client", "AADSTS7000215: Invalid client secret provided.", "'Secret ID'"),
        ("unauthorized_client", "AADSTS700016: Application with identifier", "'tenant'"),
        ("invalid_scope", "AADSTS1002012: The provided value for scope", "/.default"),
        ("access_denied", "Client has not been granted scopes: read:x", "Machine to Machine"),
        (
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, "
            "'scope' must be provided.",
            "Okta needs a scope",
        ),
        (
            "unauthorized_client",
            "Client not enabled to retrieve service account",
            "Service accounts roles",
        ),
        ("invalid_client", "", "'auth_method'"),
        ("invalid_scope", None, "scopes the client is allowed"),
        ("unauthorized_client", "", "client-credentials grant"),
        ("invalid_target", "", "'resource' or 'audience'"),
        ("invalid_grant", "", "refused the grant"),
        ("unsupported_grant_type", "", "does not offer client credentials"),
        ("invalid_request", "", "malformed"),
    ],
)
def test_error_hints(error, description, expected):
    assert expected in error_hint(error, description)


def test_unknown_error_has_no_hint():
    assert error_hint("something_else", "whatever") is None
