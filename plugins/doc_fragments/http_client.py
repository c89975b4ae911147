# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the HTTP options, matching http.http_argument_spec()."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  validate_certs:
    description:
      - Verify the TLS certificates of the servers contacted.
      - Turning this off lets anyone on the network path read the credentials sent; the task
        warns when it is off. Give O(ca_path) for a private certificate authority instead.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM bundle of the certificate authorities to trust, on the host that runs the
        task, for servers whose certificates a private authority signed.
      - If not set, E(HOOP_TLSCA) is used (the hoop CLI's variable); when neither is set, the
        system's trusted authorities.
    type: path
    aliases: [tls_ca]
  timeout:
    description:
      - Seconds to wait for a server to connect and to answer each request.
    type: float
    default: 30.0
  retries:
    description:
      - How many times a request is retried after a connection failure, a timeout, HTTP 429 or
        HTTP 500, 502, 503 or 504, with exponential backoff (1, 2, 4 seconds...) or the
        server's C(Retry-After) up to 30 seconds. Each retry is reported as a warning.
      - Other 4xx answers are never retried; redirects are never followed.
      - V(0) turns retries off.
    type: int
    default: 3
  http_agent:
    description:
      - The C(User-Agent) header sent with every request.
      - When not set, C(hoop.gateway-ansible).
    type: str
"""
