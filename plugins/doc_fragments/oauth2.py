# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the OAuth 2.0 client options, matching oauth2_args.oauth2_argument_spec()."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  client_id:
    description:
      - The OAuth 2.0 client ID of the machine identity (in Microsoft Entra ID, the application's
        client ID).
      - If not set, E(HOOP_CLIENT_ID) is used.
      - Environment variables are read only when the task does not set O(client_id). When it does,
        every other OAuth2 option also comes from the task alone, so that a client's credentials
        never come half from the task and half from the environment.
    type: str
  client_secret:
    description:
      - The client secret, for O(auth_method=client_secret_post) or
        O(auth_method=client_secret_basic). Sent exactly as given.
      - In Microsoft Entra ID this is the secret's C(Value), not its C(Secret ID).
      - If not set (and O(client_id) is not set either), E(HOOP_CLIENT_SECRET) is used.
      - Mutually exclusive with O(private_key).
    type: str
  private_key:
    description:
      - The client's private key for O(auth_method=private_key_jwt) (RFC 7523), as the path of a
        PEM file on the host that runs the task, or as PEM content. RSA, EC and Ed25519 keys are
        accepted.
      - Setting it makes V(private_key_jwt) the default O(auth_method).
      - If not set (and O(client_id) is not set either), E(HOOP_PRIVATE_KEY) is used (path or
        content).
      - Mutually exclusive with O(client_secret).
    type: str
  private_key_passphrase:
    description:
      - Passphrase of an encrypted O(private_key).
      - If not set (and O(client_id) is not set either), E(HOOP_PRIVATE_KEY_PASSPHRASE) is used.
    type: str
  key_id:
    description:
      - Key ID sent as the C(kid) header of the client assertion, for providers that pick the
        client's key by ID (Keycloak with a JWKS URL, Okta).
      - If not set (and O(client_id) is not set either), E(HOOP_KEY_ID) is used.
    type: str
  certificate:
    description:
      - The certificate of O(private_key) (path or PEM content). Its thumbprint is sent in the
        client assertion's C(x5t)/C(x5t#S256) header, which Microsoft Entra ID certificate
        credentials need. The certificate must hold the public key of O(private_key).
      - If not set (and O(client_id) is not set either), E(HOOP_CERTIFICATE) is used.
    type: str
  thumbprint_header:
    description:
      - Which thumbprint header of O(certificate) to send, C(x5t) (SHA-1), C(x5t#S256)
        (SHA-256), or both.
      - When not set, both are sent.
    type: str
    choices: [x5t, x5t#S256, both]
  assertion_algorithm:
    description:
      - Signature algorithm of the client assertion.
      - When not set, V(RS256) for an RSA key, V(ES256)/V(ES384)/V(ES512) for an EC key by its
        curve, V(EdDSA) for an Ed25519 key.
    type: str
    choices: [RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA]
  assertion_audience:
    description:
      - The C(aud) claim of the client assertion.
      - When not set, the token endpoint URL, which is what RFC 7523 asks for and what Entra,
        Okta and Keycloak expect.
    type: str
  auth_method:
    description:
      - How the client authenticates to the token endpoint.
      - V(client_secret_post) sends O(client_id) and O(client_secret) in the form body.
      - V(client_secret_basic) sends them in an HTTP Basic header, each form-encoded first
        (RFC 6749 section 2.3.1) so that secrets with C(+), C(:), C(/), C(=), C(%) or spaces
        work.
      - V(private_key_jwt) sends a client assertion signed with O(private_key).
      - When not set, V(private_key_jwt) if a private key is given, else V(client_secret_post).
        Some servers accept only the method the client is registered with.
      - If not set (and O(client_id) is not set either), E(HOOP_AUTH_METHOD) is used.
    type: str
    choices: [client_secret_post, client_secret_basic, private_key_jwt]
  token_url:
    description:
      - The token endpoint, such as C(https://sso.example.com/realms/ops/protocol/openid-connect/token).
      - One of O(token_url), O(issuer) or O(provider) is needed. O(token_url) wins over both
        discovery and the URL a provider preset builds.
      - If not set (and O(client_id) is not set either), E(HOOP_TOKEN_URL) is used.
    type: str
  issuer:
    description:
      - The authorization server's issuer URL. The token endpoint and key set are discovered
        from C(<issuer>/.well-known/openid-configuration), falling back to the RFC 8414
        C(/.well-known/oauth-authorization-server) document.
      - With O(validate_token=true), also the expected C(iss) of tokens, unless O(token_issuer)
        is set.
      - If not set (and O(client_id) is not set either), E(HOOP_ISSUER) is used.
    type: str
  provider:
    description:
      - A preset that builds the token endpoint, issuer, key set URL and the request the
        provider insists on, from one or two values.
      - V(entra) (Microsoft Entra ID) needs O(tenant); O(authority_host) for sovereign clouds;
        the default O(scope) is C(<client_id>/.default).
      - V(okta) needs O(domain) and O(scope); O(authorization_server) defaults to C(default).
      - V(auth0) needs O(domain) and O(audience).
      - V(keycloak) needs O(base_url) and O(realm).
      - V(google) fails with an explanation, as Google offers no client-credentials grant.
      - V(generic) (the default) needs O(token_url) or O(issuer).
      - If not set (and O(client_id) is not set either), E(HOOP_OAUTH_PROVIDER) is used.
    type: str
    choices: [generic, entra, okta, auth0, keycloak, google]
  tenant:
    description:
      - For O(provider=entra), the directory (tenant) ID or a verified domain such as
        C(contoso.onmicrosoft.com).
      - If not set (and O(client_id) is not set either), E(HOOP_TENANT) is used.
    type: str
  authority_host:
    description:
      - For O(provider=entra), the sign-in host of a sovereign cloud, such as
        C(login.microsoftonline.us) or C(login.chinacloudapi.cn).
      - When not set, C(login.microsoftonline.com).
      - If not set (and O(client_id) is not set either), E(HOOP_AUTHORITY_HOST) is used.
    type: str
  domain:
    description:
      - For O(provider=okta), the Okta org domain, such as C(example.okta.com); for
        O(provider=auth0), the tenant domain, such as C(example.us.auth0.com) or a custom
        domain. A host name or an C(https://) URL.
      - If not set (and O(client_id) is not set either), E(HOOP_OAUTH_DOMAIN) is used.
    type: str
  authorization_server:
    description:
      - For O(provider=okta), the ID of the custom authorization server.
      - When not set, C(default).
      - If not set (and O(client_id) is not set either), E(HOOP_AUTHORIZATION_SERVER) is used.
    type: str
  base_url:
    description:
      - For O(provider=keycloak), the server's base URL, such as C(https://sso.example.com), or
        with the legacy C(/auth) prefix of releases before 17, C(https://sso.example.com/auth).
      - If not set (and O(client_id) is not set either), E(HOOP_OAUTH_BASE_URL) is used.
    type: str
  realm:
    description:
      - For O(provider=keycloak), the realm that holds the client.
      - If not set (and O(client_id) is not set either), E(HOOP_REALM) is used.
    type: str
  scope:
    description:
      - Scopes to ask for, as a list or as one space-separated string.
      - Microsoft Entra ID needs exactly one C(<application ID URI>/.default) scope.
      - If not set (and O(client_id) is not set either), E(HOOP_SCOPE) is used (space- or
        comma-separated).
    type: list
    elements: str
  audience:
    description:
      - The C(audience) parameter, which Auth0 and some other providers use to name the API the
        token is for.
      - If not set (and O(client_id) is not set either), E(HOOP_AUDIENCE) is used.
    type: str
  resource:
    description:
      - Resource indicators (RFC 8707), one C(resource) parameter each.
      - If not set (and O(client_id) is not set either), E(HOOP_RESOURCE) is used (space- or
        comma-separated).
    type: list
    elements: str
  extra_params:
    description:
      - Further form parameters for the token request, sent as given. They cannot replace the
        parameters other options set (C(grant_type), C(client_id), C(scope), ...).
    type: dict
  validate_token:
    description:
      - Verify the token's signature against the provider's key set (JWKS), with its C(exp),
        C(iss) and, when O(expected_audience) is set, C(aud), before returning it.
      - Off by default, as the gateway verifies the token itself; claims are then read without
        verification.
      - An opaque or encrypted token cannot be validated here and fails the task when this is
        on.
    type: bool
    default: false
  jwks_url:
    description:
      - The provider's key set for O(validate_token). When not set, the preset's, or the
        C(jwks_uri) discovered from O(issuer). The set is fetched again once when a token names
        a key it lacks.
      - If not set (and O(client_id) is not set either), E(HOOP_JWKS_URL) is used.
    type: str
  token_issuer:
    description:
      - The C(iss) that O(validate_token) expects, when it differs from O(issuer) (Entra v1.0
        tokens say C(https://sts.windows.net/<tenant>/)).
      - When not set, the discovered issuer, else O(issuer) or the preset's issuer.
    type: str
  expected_audience:
    description:
      - With O(validate_token=true), the token's C(aud) must contain one of these.
      - When not set, the audience is not checked.
    type: list
    elements: str
  allowed_algorithms:
    description:
      - With O(validate_token=true), the only signature algorithms accepted, whatever the
        token's header names.
      - When not set, V(RS256), V(RS384), V(RS512), V(PS256), V(ES256), V(ES384).
    type: list
    elements: str
  leeway:
    description:
      - With O(validate_token=true), seconds of clock skew tolerated on C(exp), C(nbf) and
        C(iat).
    type: int
    default: 60
notes:
  - Which source wins for each OAuth2 option is the task, then its environment variable; the
    environment is read only when the task sets no O(client_id). On the controller, the task's
    C(environment) keyword counts as environment.
  - Providers put different values in a client-credentials token's C(sub). Entra puts the service
    principal's object ID there, Auth0 C(<client_id>@clients), Keycloak the service-account user's
    ID. The gateway identifies a token by this C(sub).
"""
