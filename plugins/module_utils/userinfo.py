# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who the gateway takes a credential for, and whether it still takes it at all."""

from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.gateway import GatewayClient
from ansible_collections.hoop.gateway.plugins.module_utils.gateway_args import (
    gateway_module_kwargs,
)

EXPECTATIONS = ("authorized", "unauthorized", "any")

# The identity keys returned beside the raw answer, None when the credential was refused.
IDENTITY_KEYS = ("subject", "name", "email", "groups", "role", "status", "is_admin")


def userinfo_module_kwargs():
    return gateway_module_kwargs(
        dict(expect=dict(type="str", default="authorized", choices=list(EXPECTATIONS)))
    )


def identity(info):
    """The identity fields of a userinfo answer; for a service account the subject is the
    ``email`` the gateway reports."""
    groups = info.get("groups") or []
    return {
        "subject": info.get("email"),
        "name": info.get("name"),
        "email": info.get("email"),
        "groups": sorted(g for g in groups if isinstance(g, str)),
        "role": info.get("role"),
        "status": info.get("status"),
        "is_admin": bool(info.get("is_admin")),
    }


def run_hoop_userinfo(params, ctx):
    expect = params.get("expect") or "authorized"
    client = GatewayClient.from_params(params, ctx)
    # A revoked account's token is refused by design; minting a new one would only cost a
    # token request and a warning before the same 401.
    response = client.userinfo(allow=(401,), remint=expect != "unauthorized")
    result = {"changed": False, "status_code": response.status}
    result.update((key, None) for key in IDENTITY_KEYS)

    if response.status == 401:
        result.update(authorized=False, registered=None, userinfo=None)
        if expect == "authorized":
            error = client.failure(
                "GET", client.api_url + "/userinfo", response, "Reading the caller's identity"
            )
            raise HoopError(error.message, authorized=False, status_code=401, **error.details)
        return result

    info = client.json_body("GET", response, "Reading the caller's identity")
    if not isinstance(info, dict):
        raise HoopError(
            "Reading the caller's identity failed: GET %s/userinfo answered a %s where an "
            "object was expected. Check that 'api_url' is the gateway's address."
            % (client.api_url, type(info).__name__),
            status_code=response.status,
        )
    # The userinfo route alone answers for a valid token whose subject is not registered;
    # such a credential is refused everywhere else, so it does not count as authorized.
    registered = info.get("role") != "unregistered"
    result.update(identity(info))
    result.update(authorized=registered, registered=registered, userinfo=info)

    if expect == "unauthorized" and registered:
        raise HoopError(
            "The credential still works: the gateway accepted it as %r (role %s, status %s) "
            "although 'expect: unauthorized' was asked for. Disable the service account with "
            "hoop.gateway.hoop_serviceaccount (state: disabled) or revoke the credential at "
            "its issuer." % (result["subject"], result["role"], result["status"]),
            **result,
        )
    if expect == "authorized" and not registered:
        raise HoopError(
            "The gateway verified the credential but its subject %r is not registered as a "
            "user or service account, so every other route refuses it. Register it with "
            "hoop.gateway.hoop_serviceaccount." % result["subject"],
            **result,
        )
    return result
