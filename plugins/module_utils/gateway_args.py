# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options every gateway module takes to reach the gateway, spelled the same everywhere.

The matching documentation is the ``hoop.gateway.gateway`` doc fragment, together with
``hoop.gateway.oauth2`` and ``hoop.gateway.http_client``.
"""

from ansible_collections.hoop.gateway.plugins.module_utils.http_client import http_argument_spec
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import (
    oauth2_argument_spec,
)


def gateway_connection_spec():
    """The gateway's address and its two direct credentials."""
    return dict(
        api_url=dict(type="str"),
        token=dict(type="str", no_log=True),
        api_key=dict(type="str", no_log=True),
    )


def gateway_argument_spec():
    """Connection options, the OAuth2 client options to mint a token, and the HTTP options."""
    spec = oauth2_argument_spec()
    spec.update(http_argument_spec())
    spec.update(gateway_connection_spec())
    return spec


def gateway_module_kwargs(extra_spec, supports_check_mode=True, **kwargs):
    """AnsibleModule keyword arguments for a gateway module with its own ``extra_spec``."""
    spec = gateway_argument_spec()
    spec.update(extra_spec)
    kwargs.update(argument_spec=spec, supports_check_mode=supports_check_mode)
    return kwargs
