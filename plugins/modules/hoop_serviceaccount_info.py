#!/usr/bin/python
# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: hoop_serviceaccount_info
short_description: List the service accounts of a Hoop gateway
version_added: 1.0.0
description:
  - Reads the service accounts of the gateway's organisation, optionally only those with given
    subjects, a status or a group.
  - Any registered, active identity may read them; administrators are not required.
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
  subject:
    description:
      - Only the accounts with this subject, or with one of these subjects (a list).
      - Subjects match exactly and case-sensitively, as on the gateway.
    type: raw
  status:
    description:
      - Only the accounts with this status.
    type: str
    choices: [active, inactive]
  group:
    description:
      - Only the accounts that are members of this group.
    type: str
seealso:
  - module: hoop.gateway.hoop_serviceaccount
"""

EXAMPLES = r"""
- name: List every administrator service account
  hoop.gateway.hoop_serviceaccount_info:
    api_url: https://hoop.example.com
    api_key: "{{ hoop_api_key }}"
    group: admin
    status: active
  register: admins

- name: Show their subjects
  ansible.builtin.debug:
    msg: "{{ admins.service_accounts | map(attribute='subject') | list }}"

- name: Check two robots are registered
  hoop.gateway.hoop_serviceaccount_info:
    api_url: https://hoop.example.com
    api_key: "{{ hoop_api_key }}"
    subject:
      - robot-a@clients
      - robot-b@clients
  register: robots
  failed_when: robots.service_accounts | length != 2
"""

RETURN = r"""
service_accounts:
  description:
    - The matching accounts, sorted by subject, each with its groups sorted.
    - Empty when none match (the gateway answers C(null) for an organisation without any).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Identifier the gateway derives from the subject (UUID version 5).
      type: str
      sample: 3c0f6f5e-2b8f-5d3a-9a51-8d2f0e6f4b1c
    org_id:
      description: Organisation of the account.
      type: str
      sample: 5b1c7e7a-0f2d-4c1b-9d64-5a4f3e2d1c0b
    subject:
      description: Subject (C(sub) claim) the account stands for.
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
    - id: 3c0f6f5e-2b8f-5d3a-9a51-8d2f0e6f4b1c
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
    run_hoop_serviceaccount_info,
    serviceaccount_info_module_kwargs,
)


def main():
    module = new_module(serviceaccount_info_module_kwargs())

    ctx = module_context(module)

    run_and_exit(module, run_hoop_serviceaccount_info, ctx)


if __name__ == "__main__":
    main()
