# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Connection options of every gateway module, argspec in module_utils/gateway_args.py.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Address of the Hoop gateway, as the hoop CLI keeps it, for example
        V(https://hoop.example.com).
      - The form with the C(/api) suffix and a trailing slash (V(https://hoop.example.com/api/))
        addresses the same gateway.
      - When not set, the environment variable E(HOOP_APIURL) is used. One of the two is
        required.
    type: str
  token:
    description:
      - Bearer access token the gateway accepts, issued by the gateway's identity provider
        (for example the RV(hoop.gateway.hoop_token#module:access_token) of a service account's
        client).
      - A leading C(Bearer ) is removed.
      - When no credential is set in the task, the environment variable E(HOOP_TOKEN) is used.
      - Credential precedence. A credential set in the task always wins over the environment
        variables, so that a task never runs as someone else by accident. Within the task, and
        within the environment, a bearer O(token) wins over an O(api_key), which wins over the
        OAuth2 client options; a warning names each credential that is set but ignored, except an
        OAuth2 client in the environment beside a token or API key there (an AWX credential
        injects the account's client beside the administrator's key).
      - Without any credential the task fails and names the options and variables to set.
    type: str
  api_key:
    description:
      - API key of the gateway.
      - The organisation key (V(xapi-...), or the legacy form V(<org-uuid>|<secret>)) acts as
        an administrator and is sent in the C(Api-Key) header.
      - A managed API key (V(hpk_...)) is sent as a bearer token and has the groups it was
        given.
      - When no credential is set in the task, the environment variable E(HOOP_APIKEY) is used.
        See O(token) for the precedence between credentials.
    type: str
notes:
  - When the OAuth2 client options are set (and no O(token) or O(api_key)), the module mints its own
    access token with the client-credentials grant, and mints a new one once when the gateway
    refuses it with HTTP 401 (an expired token, for one). The token's subject must be registered
    on the gateway, as a user or a service account.
  - Redirects are not followed, so that credentials never travel to another address; a redirect
    fails and names the address to use instead.
"""
