# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wiring between AnsibleModule and a runner, for the shipped-module path."""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
)


def new_module(module_kwargs):
    """An AnsibleModule for ``module_kwargs``, failing early when requests is missing."""
    module = AnsibleModule(**module_kwargs)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    return module


def module_context(module):
    """The RunContext of a shipped module: its own process environment holds the task's
    ``environment:`` keyword already."""
    return RunContext(
        check_mode=module.check_mode,
        diff=module._diff,
        environ=os.environ,
        warn=module.warn,
    )


def run_and_exit(module, runner, ctx):
    """Run ``runner`` and end the module with its result, or with its error."""
    try:
        result = runner(module.params, ctx)
    except HoopError as exc:
        module.fail_json(msg=exc.message, **exc.details)
    module.exit_json(**result)
