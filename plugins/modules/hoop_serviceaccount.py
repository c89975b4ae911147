#!/usr/bin/python
# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hoop_serviceaccount
short_description: Register, update or disable a service account on a Hoop gateway
version_added: 1.0.0
description:
  - Makes sure a service account of a Hoop gateway exists with the subject, display name,
    groups and status asked for.
  - A service account lets a machine identity call the gateway with access tokens from the
    gateway's identity provider; the gateway matches the token's C(sub) claim against the
    account's O(subject), exactly and case-sensitively.
  - The module reads the accounts once and writes only what differs, in one request. An
    unchanged account costs one request to the gateway, a changed one two.
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
    details: Reads the accounts and reports what would change, without writing.
  diff_mode:
    support: full
    details: Returns the account before and after, groups sorted; C(before) is empty when the
      account does not exist yet.
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
  subject:
    description:
      - The identity the account stands for, used verbatim. It is the C(sub) claim of the access
        tokens it will use (hoop.gateway.hoop_token returns it as C(subject)).
      - It differs by provider. Microsoft Entra ID uses the service principal's object id,
        Auth0 C(<client_id>@clients), Keycloak the id of the client's service-account user,
        Okta and most others the client id.
      - A subject cannot be changed once registered.
      - A subject containing C(/) cannot be addressed by the gateway's update route, so it is
        refused before any request.
    type: str
    required: true
  name:
    description:
      - Display name of the account.
      - When omitted, the current name is kept (an account created without one has an empty
        name).
    type: str
  groups:
    description:
      - Groups of the account. Membership of group C(admin) makes it an administrator of the
        gateway.
      - Compared as a set, order and duplicates do not matter.
      - When omitted, the groups are not managed and stay as they are.
      - With O(append=false) the account gets exactly these groups; V([]) removes every group.
    type: list
    elements: str
  append:
    description:
      - If V(true), add O(groups) to the account's current groups instead of replacing them.
    type: bool
    default: false
  state:
    description:
      - V(present) makes sure the account exists and is active.
      - V(disabled) makes sure it exists and is inactive, so that the gateway refuses its
        tokens on every route. A missing account is created inactive, which blocks the subject
        in advance. O(name) and O(groups) are applied too.
      - The gateway has no route to delete a service account; V(disabled) is how access is
        revoked.
    type: str
    choices: [present, disabled]
    default: present
notes:
  - The gateway cannot delete service accounts; disable them with O(state=disabled).
  - Subjects containing C(/) are refused, since the gateway cannot address them on update.
  - Writing needs an administrator credential, the organisation API key or an identity in
    group C(admin); reading (check mode of an unchanged account) works with any registered
    identity.
  - When another client creates the same subject between this module's read and its create,
    the gateway answers 409 and the module reads again and updates the account instead.
seealso:
  - module: hoop.gateway.hoop_serviceaccount_info
  - module: hoop.gateway.hoop_token
  - module: hoop.gateway.hoop_userinfo
"""

EXAMPLES = r"""
- name: Register the deploy robot's client as an administrator
  hoop.gateway.hoop_serviceaccount:
    api_url: https://hoop.example.com
    api_key: "{{ hoop_api_key }}"
    subject: 9a7b5c3d-1e2f-4a6b-8c0d-e1f2a3b4c5d6
    name: Deploy robot
    groups: [admin, sre]

- name: Register the subject of a client's own token, with connection options set once
  module_defaults:
    group/hoop.gateway.gateway:
      api_url: https://hoop.example.com
      api_key: "{{ hoop_api_key }}"
  block:
    - name: Mint a token to learn the client's subject
      hoop.gateway.hoop_token:
        token_url: https://login.example.com/oauth2/token
        client_id: "{{ robot_client_id }}"
        client_secret: "{{ robot_client_secret }}"
      register: robot_token

    - name: Register it
      hoop.gateway.hoop_serviceaccount:
        subject: "{{ robot_token.subject }}"
        name: Robot
        groups: [sre]

- name: Add a group without touching the others
  hoop.gateway.hoop_serviceaccount:
    api_url: https://hoop.example.com
    api_key: "{{ hoop_api_key }}"
    subject: robot@clients
    groups: [auditor]
    append: true

- name: Revoke the robot's access
  hoop.gateway.hoop_serviceaccount:
    api_url: https://hoop.example.com
    api_key: "{{ hoop_api_key }}"
    subject: robot@clients
    state: disabled
"""

RETURN = r"""
service_account:
  description:
    - The account as the gateway stores it after the task; in check mode, as it would be.
    - Its groups are sorted.
  returned: success
  type: dict
  contains:
    id:
      description: Identifier the gateway derives from the subject (UUID version 5).
      type: str
      sample: 3c0f6f5e-2b8f-5d3a-9a51-8d2f0e6f4b1c
    org_id:
      description: Organisation of the account; null in check mode for the first account.
      type: str
      sample: 5b1c7e7a-0f2d-4c1b-9d64-5a4f3e2d1c0b
    subject:
      description: The subject, as given.
      type: str
      sample: robot@clients
    name:
      description: Display name.
      type: str
      sample: Deploy robot
    status:
      description: V(active) or V(inactive).
      type: str
      sample: active
    groups:
      description: Groups, sorted.
      type: list
      elements: str
      sample: [admin, sre]
  sample:
    id: 3c0f6f5e-2b8f-5d3a-9a51-8d2f0e6f4b1c
    org_id: 5b1c7e7a-0f2d-4c1b-9d64-5a4f3e2d1c0b
    subject: robot@clients
    name: Deploy robot
    status: active
    groups: [admin, sre]
"""

from ansible_collections.hoop.gateway.plugins.module_utils.entrypoint import (
    module_context,
    new_module,
    run_and_exit,
)
from ansible_collections.hoop.gateway.plugins.module_utils.serviceaccount import (
    run_hoop_serviceaccount,
    serviceaccount_module_kwargs,
)


def main():
    module = new_module(serviceaccount_module_kwargs())

    ctx = module_context(module)

    run_and_exit(module, run_hoop_serviceaccount, ctx)


if __name__ == "__main__":
    main()
