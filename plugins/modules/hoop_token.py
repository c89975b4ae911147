#!/usr/bin/python
# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hoop_token
short_description: Obtain an OAuth 2.0 access token with the client-credentials grant
version_added: 1.0.0
description:
  - Asks an OAuth 2.0 authorization server for an access token with the client-credentials
    grant (RFC 6749 section 4.4), the way a machine identity signs in to a Hoop gateway.
  - The token endpoint is given (O(token_url)), discovered from an issuer (O(issuer)), or built
    by a provider preset (O(provider)) for Microsoft Entra ID, Okta, Auth0 or Keycloak.
  - The client authenticates with a secret (V(client_secret_post), V(client_secret_basic)) or
    with a private key (V(private_key_jwt), RFC 7523), including the certificate thumbprint that
    Microsoft Entra ID certificate credentials need.
  - Returns the token with what it says about itself, above all its subject (the C(sub) claim),
    which is what a Hoop service account must be registered under. Optionally verifies the
    token against the provider's key set first.
  - Changes nothing anywhere; it runs in check mode too.
author:
  - Hoop gateway collection maintainers (@hoophq)
extends_documentation_fragment:
  - hoop.gateway.oauth2
  - hoop.gateway.http_client
attributes:
  check_mode:
    support: full
    description: Runs as usual in check mode, since asking for a token changes nothing.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show a difference of.
  action:
    support: full
    description:
      - When the task runs on the controller (C(connection=local)), an action plugin runs the
        same code inside the controller's worker instead of starting a module process.
requirements:
  - requests
  - PyJWT with its crypto extra, to read JWT claims and for O(auth_method=private_key_jwt) and
    O(validate_token)
  - cryptography, for O(auth_method=private_key_jwt) and O(validate_token)
notes:
  - The token is returned in RV(access_token) because asking for it is the purpose of this
    module. Set C(no_log=true) on the task to keep it out of logs, and do not write the
    registered variable anywhere.
  - A token that is not a JWT (opaque, or encrypted as JWE) is still returned, with
    RV(format=opaque) and RV(subject=null), and a warning saying what this means. The gateway
    accepts opaque tokens through the provider's userinfo endpoint, but the subject to register
    a service account under must then be found elsewhere. The same warning appears for a JWT
    without C(sub).
  - Error messages name the endpoint, the HTTP status and the provider's C(error) and
    C(error_description), with advice for the common mistakes of each provider. They never
    contain the client secret, the private key or a token.
  - A secret handed over through the task's C(environment) keyword is kept out of this module's
    results, but Ansible itself prints a shipped module's environment at C(-vvv). Prefer the
    options (with a vaulted value) or variables set before Ansible starts.
  - Connection failures, timeouts, HTTP 429 and 5xx answers are retried (see O(retries)); other
    4xx answers and redirects are not.
seealso:
  - name: RFC 6749 section 4.4, Client Credentials Grant
    description: The grant this module uses.
    link: https://www.rfc-editor.org/rfc/rfc6749#section-4.4
  - name: RFC 7523, JWT Profile for OAuth 2.0 Client Authentication
    description: How O(auth_method=private_key_jwt) authenticates.
    link: https://www.rfc-editor.org/rfc/rfc7523
  - name: Hoop documentation
    description: Service accounts and machine access to a Hoop gateway.
    link: https://hoop.dev/docs
"""

EXAMPLES = r"""
- name: Get a token with a client secret, from the token endpoint
  hoop.gateway.hoop_token:
    token_url: https://sso.example.com/realms/ops/protocol/openid-connect/token
    client_id: ansible-deployer
    client_secret: "{{ vault_deployer_secret }}"
  register: login
  no_log: true

- name: Show whom the token identifies
  ansible.builtin.debug:
    msg: "Token for {{ login.subject }} valid until {{ login.expires_at }}"

- name: Discover the endpoint from the issuer, secret in a Basic header, verify the token
  hoop.gateway.hoop_token:
    issuer: https://sso.example.com/realms/ops
    client_id: ansible-deployer
    client_secret: "{{ vault_deployer_secret }}"
    auth_method: client_secret_basic
    scope: [openid, hoop:read]
    validate_token: true
    expected_audience: urn:hoop:gateway
  register: login
  no_log: true

- name: Microsoft Entra ID with a certificate credential
  hoop.gateway.hoop_token:
    provider: entra
    tenant: contoso.onmicrosoft.com
    client_id: 6f1d2c8e-3b4a-4c5d-9e8f-0a1b2c3d4e5f
    private_key: /etc/hoop/deployer-key.pem
    certificate: /etc/hoop/deployer-cert.pem
    scope: api://hoop-gateway/.default
  register: login
  no_log: true

- name: Auth0 needs the API identifier as audience
  hoop.gateway.hoop_token:
    provider: auth0
    domain: example.us.auth0.com
    client_id: Qm8xT2vR5kLp9sWz3yHc7nJd4fGb6aEu
    client_secret: "{{ vault_auth0_secret }}"
    audience: https://hoop.example.com
  register: login
  no_log: true

- name: Okta custom authorization server
  hoop.gateway.hoop_token:
    provider: okta
    domain: example.okta.com
    authorization_server: aus1a2b3c4d5e6f7g8h9
    client_id: 0oa1b2c3d4e5f6g7h8i9
    client_secret: "{{ vault_okta_secret }}"
    scope: hoop.access
  register: login
  no_log: true

- name: Keycloak before release 17, under /auth
  hoop.gateway.hoop_token:
    provider: keycloak
    base_url: https://sso.example.com/auth
    realm: ops
    client_id: ansible-deployer
    client_secret: "{{ vault_deployer_secret }}"
    auth_method: client_secret_basic
  register: login
  no_log: true

- name: Everything from HOOP_* environment variables of the task
  hoop.gateway.hoop_token:
  environment:
    HOOP_TOKEN_URL: https://sso.example.com/realms/ops/protocol/openid-connect/token
    HOOP_CLIENT_ID: ansible-deployer
    HOOP_CLIENT_SECRET: "{{ vault_deployer_secret }}"
  register: login
  no_log: true
"""

RETURN = r"""
access_token:
  description: The access token. Treat it as a secret.
  returned: success
  type: str
  sample: eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IjEifQ.eyJzdWIiOiJob29wLWRlbW8ifQ.c2ln
token_type:
  description: The token type the server named, normally C(Bearer).
  returned: success
  type: str
  sample: Bearer
expires_in:
  description:
    - Seconds the token is valid for, counted from the request, as an integer even when the
      server sends a string.
    - Taken from the token's C(exp) when the server does not say; null when neither does.
  returned: success
  type: int
  sample: 3600
expires_at:
  description: When the token expires, in UTC (ISO 8601); null when unknown.
  returned: success
  type: str
  sample: "2026-01-31T13:00:00Z"
scope:
  description:
    - The scopes granted, space-separated. When the server does not say, the scopes asked for
      (RFC 6749 section 5.1); null when none were asked for either.
  returned: success
  type: str
  sample: openid hoop:read
claims:
  description:
    - The token's claims. Not verified unless O(validate_token=true).
    - Empty when the token is not a JWT.
  returned: success
  type: dict
  sample:
    iss: https://sso.example.com/realms/ops
    sub: 5d0c7e1a-8b3f-4f62-a9d4-7c2e1b0a9f38
    azp: ansible-deployer
    aud: urn:hoop:gateway
    exp: 1769864400
    iat: 1769860800
subject:
  description:
    - The token's C(sub) claim, the identity a Hoop gateway sees and the subject to register a
      service account under. It is not always the client ID (Entra puts the service principal's
      object ID there, Auth0 C(<client_id>@clients)).
    - Null when the token is opaque, encrypted, or has no C(sub); a warning then says why.
  returned: success
  type: str
  sample: 5d0c7e1a-8b3f-4f62-a9d4-7c2e1b0a9f38
format:
  description: V(jwt) for a readable JWT, V(opaque) for anything else (including encrypted tokens).
  returned: success
  type: str
  sample: jwt
token_url:
  description: The token endpoint used, without query string.
  returned: success
  type: str
  sample: https://sso.example.com/realms/ops/protocol/openid-connect/token
subject_problem:
  description:
    - Why RV(subject) is null, and the provider setting that usually fixes it; null when the
      subject was read. The same sentence is given as a warning.
  returned: success
  type: str
  sample: >-
    The token is opaque (not a JWT), so its subject cannot be read here. Auth0 issues opaque
    tokens when no 'audience' is given.
status:
  description: The HTTP status of the token endpoint's refusal.
  returned: failure, when the server answered
  type: int
  sample: 401
url:
  description: The endpoint that failed, without query string.
  returned: failure, when a request failed
  type: str
  sample: https://sso.example.com/realms/ops/protocol/openid-connect/token
error:
  description: The RFC 6749 C(error) code of the refusal.
  returned: failure, when the server sent an OAuth 2.0 error
  type: str
  sample: invalid_client
error_description:
  description: The server's C(error_description), shortened.
  returned: failure, when the server sent one
  type: str
  sample: Invalid client or Invalid client credentials
"""

from ansible_collections.hoop.gateway.plugins.module_utils.entrypoint import (
    module_context,
    new_module,
    run_and_exit,
)
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import (
    run_hoop_token,
)
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
    token_module_kwargs,
)


def main():
    module = new_module(token_module_kwargs())

    ctx = module_context(module)

    run_and_exit(module, run_hoop_token, ctx)


if __name__ == "__main__":
    main()
