# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs hoop_token in the controller's worker when the task runs on the controller."""

import contextlib

from ansible_collections.hoop.gateway.plugins.module_utils.oauth2 import run_hoop_token
from ansible_collections.hoop.gateway.plugins.module_utils.oauth2_args import token_module_kwargs
from ansible_collections.hoop.gateway.plugins.plugin_utils.controller import HoopAction

# This file is imported once in the controller's main process, before workers fork; reading a
# token's claims needs pyjwt, whose import would otherwise be paid again by every task.
with contextlib.suppress(ImportError):
    import jwt  # noqa: F401  pylint: disable=unused-import


class ActionModule(HoopAction):
    MODULE_NAME = "hoop.gateway.hoop_token"
    module_kwargs = staticmethod(token_module_kwargs)
    runner = staticmethod(run_hoop_token)
