# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each identity provider expects of a client-credentials request, and what its refusals
usually mean.

A preset turns one or two values (a tenant, a domain, a realm) into the token endpoint, the
issuer and key set used to validate tokens, and the request shape the provider insists on.
"""

from urllib.parse import quote, urlsplit

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError

ENTRA_DEFAULT_HOST = "login.microsoftonline.com"
OKTA_DEFAULT_SERVER = "default"


class Preset:
    """Endpoints and request rules of one provider, as resolved for one client."""

    def __init__(
        self,
        name,
        token_url=None,
        issuer=None,
        jwks_url=None,
        default_scope=None,
        needs_scope=False,
        needs_audience=False,
    ):
        self.name = name
        self.token_url = token_url
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.default_scope = default_scope
        self.needs_scope = needs_scope
        self.needs_audience = needs_audience


def _missing(provider, option, what):
    env = {
        "tenant": "HOOP_TENANT",
        "domain": "HOOP_OAUTH_DOMAIN",
        "base_url": "HOOP_OAUTH_BASE_URL",
        "realm": "HOOP_REALM",
    }[option]
    return HoopError(
        "provider '%s' needs '%s': %s. Set the option (or %s)." % (provider, option, what, env)
    )


def _origin(value):
    """``https://host[:port]`` from a bare host name or a URL (a path, if any, is dropped)."""
    value = value.strip()
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if not parts.netloc:
        raise HoopError("'%s' is not a host name or URL." % value)
    return "%s://%s" % (parts.scheme, parts.netloc)


def _base(value):
    """A base URL kept with its path (Keycloak's legacy ``/auth``), without a trailing slash."""
    value = value.strip()
    if "://" not in value:
        value = "https://" + value
    return value.rstrip("/")


def _segment(value):
    return quote(value.strip().strip("/"), safe="")


def resolve_preset(provider, values):
    """The Preset for ``provider`` built from ``values`` (tenant, domain, realm, ...)."""
    provider = provider or "generic"
    if provider == "generic":
        return Preset("generic")

    if provider == "google":
        raise HoopError(
            "provider 'google' cannot issue these tokens: Google's OAuth 2.0 server has no "
            "client-credentials grant. A Google service account signs its own JWT and trades "
            "it for a token (RFC 7523 JWT bearer grant, through google-auth or gcloud). Obtain "
            "a token that way and hand it to the gateway modules with 'token' (HOOP_TOKEN), or "
            "federate Google identities through a provider that offers client credentials."
        )

    if provider == "entra":
        if not values.get("tenant"):
            raise _missing(
                "entra",
                "tenant",
                "the directory (tenant) ID or a verified domain such as contoso.onmicrosoft.com",
            )
        origin = _origin(values.get("authority_host") or ENTRA_DEFAULT_HOST)
        tenant = _segment(values["tenant"])
        client_id = values.get("client_id")
        return Preset(
            "entra",
            token_url="%s/%s/oauth2/v2.0/token" % (origin, tenant),
            issuer="%s/%s/v2.0" % (origin, tenant),
            jwks_url="%s/%s/discovery/v2.0/keys" % (origin, tenant),
            default_scope=["%s/.default" % client_id] if client_id else None,
        )

    if provider == "okta":
        if not values.get("domain"):
            raise _missing("okta", "domain", "the Okta org domain, such as example.okta.com")
        origin = _origin(values["domain"])
        server = _segment(values.get("authorization_server") or OKTA_DEFAULT_SERVER)
        return Preset(
            "okta",
            token_url="%s/oauth2/%s/v1/token" % (origin, server),
            issuer="%s/oauth2/%s" % (origin, server),
            jwks_url="%s/oauth2/%s/v1/keys" % (origin, server),
            needs_scope=True,
        )

    if provider == "auth0":
        if not values.get("domain"):
            raise _missing("auth0", "domain", "the tenant domain, such as example.us.auth0.com")
        origin = _origin(values["domain"])
        return Preset(
            "auth0",
            token_url="%s/oauth/token" % origin,
            issuer="%s/" % origin,
            jwks_url="%s/.well-known/jwks.json" % origin,
            needs_audience=True,
        )

    if provider == "keycloak":
        if not values.get("base_url"):
            raise _missing(
                "keycloak",
                "base_url",
                "the server's URL, such as https://sso.example.com (with /auth for releases "
                "before 17)",
            )
        if not values.get("realm"):
            raise _missing("keycloak", "realm", "the realm that holds the client")
        realm_url = "%s/realms/%s" % (_base(values["base_url"]), _segment(values["realm"]))
        return Preset(
            "keycloak",
            token_url="%s/protocol/openid-connect/token" % realm_url,
            issuer=realm_url,
            jwks_url="%s/protocol/openid-connect/certs" % realm_url,
        )

    raise HoopError(
        "Unknown provider '%s'; use one of generic, entra, okta, auth0, keycloak." % provider
    )


# Substrings of a provider's error description, and what to do about them. Checked in order;
# the first match wins, before the generic advice for the RFC 6749 error code.
_DESCRIPTION_HINTS = (
    (
        "AADSTS7000215",
        "Entra received something that is not the secret's value. An app registration shows "
        "a 'Secret ID' and a 'Value' for each client secret; 'client_secret' must be the "
        "Value, which Entra shows only once, when the secret is created.",
    ),
    (
        "AADSTS7000222",
        "The client secret has expired: create a new one under Certificates & secrets.",
    ),
    (
        "AADSTS700016",
        "Entra knows no application with this client_id in this tenant: check 'client_id' "
        "(the 'Application (client) ID') and 'tenant', and that the application is registered "
        "or consented in that tenant.",
    ),
    (
        "AADSTS90002",
        "The tenant does not exist: check 'tenant' (directory ID or verified domain) and "
        "'authority_host' for sovereign clouds.",
    ),
    (
        "AADSTS1002012",
        "With client credentials, Entra needs a scope of the form "
        "'<application ID URI>/.default', such as 'api://hoop-gateway/.default'.",
    ),
    (
        "AADSTS70011",
        "With client credentials, Entra needs a scope of the form "
        "'<application ID URI>/.default', such as 'api://hoop-gateway/.default'.",
    ),
    (
        "AADSTS500011",
        "The resource in the scope is not registered in this tenant: check the application ID "
        "URI in 'scope' and that the API's service principal exists in the tenant.",
    ),
    (
        "AADSTS700027",
        "Entra could not verify the client assertion: upload the certificate matching "
        "'private_key' to the app registration and give it as 'certificate' so that its "
        "thumbprint is sent.",
    ),
    (
        "Client has not been granted scopes",
        "The Auth0 application is not authorized for this API, or not for these scopes: in "
        "the Auth0 dashboard, open the API named by 'audience', tab 'Machine to Machine "
        "Applications', authorize the application and tick the scopes.",
    ),
    (
        "Service not enabled within domain",
        "Auth0 knows no API with this identifier: 'audience' must be the API's identifier "
        "exactly as shown in the dashboard.",
    ),
    (
        "No audience parameter was provided",
        "Auth0 needs 'audience' (the API identifier) for client credentials unless the tenant "
        "has a default audience.",
    ),
    (
        "default scopes, 'scope' must be provided",
        "Okta needs a scope for client credentials: give 'scope' with a custom scope defined "
        "on the authorization server (Security > API > Authorization Servers > Scopes).",
    ),
    (
        "Client not enabled to retrieve service account",
        "Keycloak refuses client credentials for this client: turn on 'Service accounts roles' "
        "(Client authentication must be on as well) in the client's settings.",
    ),
)

_ERROR_HINTS = {
    "invalid_client": (
        "The client was not recognised or its credential was refused: check 'client_id', the "
        "secret or key, and that 'auth_method' is the one the client is registered for "
        "(client_secret_basic and client_secret_post are not interchangeable everywhere)."
    ),
    "invalid_scope": (
        "Ask only for scopes the client is allowed to have: check the spelling of 'scope' and "
        "the scopes granted to the client on the provider."
    ),
    "unauthorized_client": (
        "The client may not use the client-credentials grant: enable it (service accounts, "
        "machine-to-machine) for this client on the provider."
    ),
    "invalid_target": (
        "The provider does not accept this 'resource' or 'audience' for this client: check "
        "the value and that the client may obtain tokens for it."
    ),
    "invalid_grant": (
        "The provider refused the grant: check that the client is enabled and allowed to use "
        "client credentials, and for private_key_jwt that the assertion key is registered."
    ),
    "unsupported_grant_type": (
        "This endpoint does not offer client credentials: check that 'token_url' is the token "
        "endpoint of a server with the client-credentials grant enabled."
    ),
    "invalid_request": (
        "The provider found the request malformed (a parameter missing, repeated or not "
        "accepted): check 'scope', 'audience', 'resource' and 'extra_params'."
    ),
    "access_denied": (
        "The provider denied the client this token: check that the client is authorized for "
        "the requested API and scopes."
    ),
}


def error_hint(error, description):
    """What to do about an RFC 6749 section 5.2 error, or None when there is nothing to add."""
    for needle, hint in _DESCRIPTION_HINTS:
        if needle.lower() in (description or "").lower():
            return hint
    return _ERROR_HINTS.get(error)
