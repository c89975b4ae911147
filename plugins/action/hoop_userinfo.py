# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs hoop.gateway.hoop_userinfo in-process when the task runs on the controller."""

from ansible_collections.hoop.gateway.plugins.module_utils.userinfo import (
    run_hoop_userinfo,
    userinfo_module_kwargs,
)
from ansible_collections.hoop.gateway.plugins.plugin_utils.controller import HoopAction


class ActionModule(HoopAction):
    MODULE_NAME = "hoop.gateway.hoop_userinfo"
    module_kwargs = staticmethod(userinfo_module_kwargs)
    runner = staticmethod(run_hoop_userinfo)
