# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of an OAuth 2.0 client-credentials client, shared by every module that mints tokens.

The matching documentation is the doc fragment ``hoop.gateway.oauth2``. Environment fallbacks
are not declared here with ``env_fallback``: they are resolved by ``oauth2.TokenClient`` from
the task's RunContext, and only when the task sets no ``client_id``, so that a client's
credentials never come half from the task and half from the environment.
"""

from ansible_collections.hoop.gateway.plugins.module_utils.http_client import http_argument_spec

PROVIDERS = ("generic", "entra", "okta", "auth0", "keycloak", "google")
AUTH_METHODS = ("client_secret_post", "client_secret_basic", "private_key_jwt")
ASSERTION_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
DEFAULT_ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
THUMBPRINT_HEADERS = ("x5t", "x5t#S256", "both")
DEFAULT_LEEWAY = 60

# Option name -> environment variable read when the task sets no client_id. The names follow
# the hoop CLI's HOOP_ prefix; the doc fragment lists each one beside its option.
OAUTH2_ENV = {
    "client_id": "HOOP_CLIENT_ID",
    "client_secret": "HOOP_CLIENT_SECRET",
    "private_key": "HOOP_PRIVATE_KEY",
    "private_key_passphrase": "HOOP_PRIVATE_KEY_PASSPHRASE",
    "key_id": "HOOP_KEY_ID",
    "certificate": "HOOP_CERTIFICATE",
    "auth_method": "HOOP_AUTH_METHOD",
    "token_url": "HOOP_TOKEN_URL",
    "issuer": "HOOP_ISSUER",
    "provider": "HOOP_OAUTH_PROVIDER",
    "tenant": "HOOP_TENANT",
    "authority_host": "HOOP_AUTHORITY_HOST",
    "domain": "HOOP_OAUTH_DOMAIN",
    "authorization_server": "HOOP_AUTHORIZATION_SERVER",
    "base_url": "HOOP_OAUTH_BASE_URL",
    "realm": "HOOP_REALM",
    "scope": "HOOP_SCOPE",
    "audience": "HOOP_AUDIENCE",
    "resource": "HOOP_RESOURCE",
    "jwks_url": "HOOP_JWKS_URL",
}


def oauth2_argument_spec():
    """The OAuth2 client options only; TLS, timeout and retries come from http_argument_spec()."""
    return dict(
        client_id=dict(type="str"),
        client_secret=dict(type="str", no_log=True),
        private_key=dict(type="str", no_log=True),
        private_key_passphrase=dict(type="str", no_log=True),
        key_id=dict(type="str", no_log=False),
        certificate=dict(type="str"),
        thumbprint_header=dict(type="str", choices=list(THUMBPRINT_HEADERS)),
        assertion_algorithm=dict(type="str", choices=list(ASSERTION_ALGORITHMS)),
        assertion_audience=dict(type="str"),
        auth_method=dict(type="str", choices=list(AUTH_METHODS)),
        token_url=dict(type="str", no_log=False),
        issuer=dict(type="str"),
        provider=dict(type="str", choices=list(PROVIDERS)),
        tenant=dict(type="str"),
        authority_host=dict(type="str"),
        domain=dict(type="str"),
        authorization_server=dict(type="str"),
        base_url=dict(type="str"),
        realm=dict(type="str"),
        scope=dict(type="list", elements="str"),
        audience=dict(type="str"),
        resource=dict(type="list", elements="str"),
        extra_params=dict(type="dict"),
        validate_token=dict(type="bool", default=False),
        jwks_url=dict(type="str"),
        token_issuer=dict(type="str", no_log=False),
        expected_audience=dict(type="list", elements="str"),
        allowed_algorithms=dict(type="list", elements="str"),
        leeway=dict(type="int", default=DEFAULT_LEEWAY),
    )


def oauth2_params_given(params):
    """True when the task set any OAuth2 client option (a default value does not count)."""
    for name, spec in oauth2_argument_spec().items():
        value = params.get(name)
        if value is None:
            continue
        if "default" in spec and value == spec["default"]:
            continue
        return True
    return False


def token_module_kwargs():
    """AnsibleModule keyword arguments of hoop_token, shared with its action plugin."""
    argument_spec = oauth2_argument_spec()
    argument_spec.update(http_argument_spec())
    return dict(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("client_secret", "private_key")],
    )
