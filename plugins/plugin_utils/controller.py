# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs a module's logic inside the controller's worker when the task runs on the controller.

Shipping a module costs a process start and an interpreter for every task, which dwarfs the
one or two HTTP requests these modules make. When the task's connection is the local one,
the action plugin validates the arguments with the module's own argument spec and calls the
same runner the module calls, then shapes the result the way AnsibleModule would (warnings,
``invocation``, no_log masking). For any other connection, become, or async, it ships the
module as usual.
"""

import copy
import os

from ansible.module_utils.common.arg_spec import ModuleArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.warnings import get_warning_messages
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.hoop.gateway.plugins.module_utils.context import RunContext
from ansible_collections.hoop.gateway.plugins.module_utils.errors import HoopError
from ansible_collections.hoop.gateway.plugins.module_utils.http_client import HAS_REQUESTS

# Task variable that turns the in-process path off, for a controller whose own Python lacks
# the libraries the module needs but whose ansible_python_interpreter has them.
IN_PROCESS_VAR = "hoop_gateway_in_process"

_VALIDATOR_KEYS = (
    "mutually_exclusive",
    "required_together",
    "required_one_of",
    "required_if",
    "required_by",
)


class HoopAction(ActionBase):
    """Base of every action plugin of the collection.

    Subclasses set ``MODULE_NAME`` (the FQCN of the module to ship), ``module_kwargs`` (a
    function returning the AnsibleModule keyword arguments) and ``runner`` (the function the
    module calls with its params and a RunContext).
    """

    MODULE_NAME = None
    module_kwargs = None
    runner = None

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp

        if not self._runs_in_process(task_vars):
            result.update(
                self._execute_module(
                    module_name=self.MODULE_NAME,
                    module_args=self._task.args,
                    task_vars=task_vars,
                )
            )
            return result

        result.update(self._run_in_process())
        return result

    def _runs_in_process(self, task_vars):
        if self._connection.transport != "local":
            return False
        if self._task.async_val or self._play_context.become:
            return False
        if not HAS_REQUESTS:
            return False
        wanted = task_vars.get(IN_PROCESS_VAR, True)
        try:
            return boolean(self._templar.template(wanted), strict=True)
        except TypeError:
            return True

    def _environment(self):
        """The controller's environment with the task's ``environment:`` keyword on top,
        which is what a module started on this host would see."""
        task_environment = {}
        self._compute_environment_string(task_environment)
        environ = dict(os.environ)
        environ.update((str(k), str(v)) for k, v in task_environment.items())
        return environ

    def _run_in_process(self):
        kwargs = type(self).module_kwargs()
        validator = ModuleArgumentSpecValidator(
            kwargs["argument_spec"],
            **dict((key, kwargs[key]) for key in _VALIDATOR_KEYS if key in kwargs),
        )
        args = copy.deepcopy(dict(self._task.args))
        # The validator reports alias clashes and deprecations through a process-wide list
        # that AnsibleModule empties into the result; here only this task's new ones count.
        known = set(get_warning_messages())
        validation = validator.validate(args)
        warnings = [w for w in get_warning_messages() if w not in known]
        no_log_values = validation._no_log_values
        params = validation.validated_parameters

        if validation.error_messages:
            msg = validation.errors.msg
            if isinstance(validation.errors[0], UnsupportedError):
                msg = "Unsupported parameters for (%s) module: %s" % (self.MODULE_NAME, msg)
            return self._shape({"failed": True, "msg": msg}, params, no_log_values, warnings)

        ctx = RunContext(
            check_mode=self._task.check_mode,
            diff=self._task.diff,
            environ=self._environment(),
        )
        try:
            result = type(self).runner(params, ctx)
        except HoopError as exc:
            result = dict(exc.details)
            result.update(failed=True, msg=exc.message)
        return self._shape(result, params, no_log_values, warnings + ctx.warnings)

    @staticmethod
    def _shape(result, params, no_log_values, warnings):
        result = dict(result)
        result.setdefault("invocation", {"module_args": params})
        if warnings:
            result["warnings"] = list(warnings)
        # AnsibleModule keeps booleans and None out of no_log masking; so do we.
        preserved = dict((k, v) for k, v in result.items() if v is None or isinstance(v, bool))
        result = remove_values(result, no_log_values)
        result.update(preserved)
        return result
