#!/usr/bin/python
# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hoop_userinfo
short_description: Show whom a Hoop gateway takes a credential for
version_added: 1.0.0
description:
  - Calls the gateway's C(GET /api/userinfo) with the credential given and returns the
    identity the gateway resolves it to.
  - It is how a playbook proves that a service account's token works, or, with
    O(expect=unauthorized), that a revoked one no longer does.
author:
  - Hoop gateway collection maintainers (@hoophq)
extends_documentation_fragment:
  - hoop.gateway.gateway
  - hoop.gateway.oauth2
  - hoop.gateway.http_client
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    platforms: all
  action:
    support: full
    details: When the task runs on the controller the action plugin runs the module's code
      there, without starting a module process.
  async:
    support: partial
    details: With C(async), the module is shipped and runs as a module process.
  bypass_host_loop:
    support: none
  action_group:
    description: Use C(group/hoop.gateway.gateway) in C(module_defaults) to set the connection
      options of every gateway module once.
    support: full
    membership:
      - hoop.gateway.gateway
options:
  expect:
    description:
      - The outcome that counts as success.
      - V(authorized) fails unless the gateway accepts the credential as a registered identity.
      - V(unauthorized) succeeds when the gateway refuses the credential with HTTP 401 (a
        disabled service account, an expired token) or verifies it but finds its subject
        unregistered, and fails when the credential still works.
      - V(any) succeeds either way; read RV(authorized) to branch.
      - Other failures (a wrong address, a server error) fail whatever is expected.
    type: str
    choices: [authorized, unauthorized, any]
    default: authorized
notes:
  - The gateway answers this route for a valid token whose subject is not registered, with
    role V(unregistered); every other route refuses such a token, so it is reported as
    RV(authorized=false) with RV(registered=false).
seealso:
  - module: hoop.gateway.hoop_serviceaccount
  - module: hoop.gateway.hoop_token
"""

EXAMPLES = r"""
- name: Mint a token for the robot's client
  hoop.gateway.hoop_token:
    token_url: https://login.example.com/oauth2/token
    client_id: "{{ robot_client_id }}"
    client_secret: "{{ robot_client_secret }}"
  register: robot_token

- name: Prove the robot's token works on the gateway
  hoop.gateway.hoop_userinfo:
    api_url: https://hoop.example.com
    token: "{{ robot_token.access_token }}"
  register: robot

- name: Show its role
  ansible.builtin.debug:
    msg: "{{ robot.subject }} is {{ robot.role }}"

- name: After disabling the account, prove the same token is refused
  hoop.gateway.hoop_userinfo:
    api_url: https://hoop.example.com
    token: "{{ robot_token.access_token }}"
    expect: unauthorized
"""

RETURN = r"""
authorized:
  description: Whether the gateway accepted the credential as a registered identity.
  returned: always
  type: bool
  sample: true
status_code:
  description: HTTP status of the gateway's answer to C(GET /api/userinfo).
  returned: always
  type: int
  sample: 200
registered:
  description:
    - Whether the identity is registered on the gateway; null when the credential was refused.
  returned: always
  type: bool
  sample: true
subject:
  description: Subject of the identity; for a service account, its registered subject.
  returned: always
  type: str
  sample: robot@clients
name:
  description: Display name of the identity.
  returned: always
  type: str
  sample: Deploy robot
email:
  description: E-mail of a user; for a service account, the same string as RV(subject).
  returned: always
  type: str
  sample: robot@clients
groups:
  description: Groups of the identity, sorted.
  returned: always
  type: list
  elements: str
  sample: [admin, sre]
role:
  description: V(admin), V(auditor), V(standard), or V(unregistered).
  returned: always
  type: str
  sample: admin
status:
  description: V(active) for an identity the gateway accepts.
  returned: always
  type: str
  sample: active
is_admin:
  description: Whether the identity is an administrator (member of group C(admin)).
  returned: always
  type: bool
  sample: true
userinfo:
  description: The gateway's whole answer, unchanged; null when the credential was refused.
  returned: always
  type: dict
  sample:
    email: robot@clients
    name: Deploy robot
    groups: [sre, admin]
    role: admin
    status: active
    is_admin: true
    org_id: 5b1c7e7a-0f2d-4c1b-9d64-5a4f3e2d1c0b
    org_name: example
    tenancy_type: selfhosted
"""

from ansible_collections.hoop.gateway.plugins.module_utils.entrypoint import (
    module_context,
    new_module,
    run_and_exit,
)
from ansible_collections.hoop.gateway.plugins.module_utils.userinfo import (
    run_hoop_userinfo,
    userinfo_module_kwargs,
)


def main():
    module = new_module(userinfo_module_kwargs())

    ctx = module_context(module)

    run_and_exit(module, run_hoop_userinfo, ctx)


if __name__ == "__main__":
    main()
