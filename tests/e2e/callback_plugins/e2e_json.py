# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes a whole run as one JSON document on stdout, for the e2e tests to read.

ansible-core ships no JSON stdout callback, and the tests need every task's full result,
warnings and diff included, in play order.
"""

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: e2e_json
type: stdout
short_description: The run as one JSON document, for the e2e tests
description:
  - Prints one JSON object with C(plays) (each with its C(tasks), each task with the result
    per host) and C(stats) once the run ends.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "e2e_json"

    def __init__(self, display=None):
        super().__init__(display)
        self._plays = []

    def v2_playbook_on_play_start(self, play):
        self._plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **extra):
        raw = dict(result._result)
        kept = dict((key, raw[key]) for key in ("warnings", "diff") if key in raw)
        shown = self._dump_results(raw, serialize=False, keep_invocation=True)
        shown = json.loads(json.dumps(shown, default=str))
        shown.update(json.loads(json.dumps(kept, default=str)))
        shown.update(extra)
        if not self._plays or not self._plays[-1]["tasks"]:
            return
        self._plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = shown

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = dict((host, stats.summarize(host)) for host in sorted(stats.processed))
        self._display.display(json.dumps({"plays": self._plays, "stats": summary}, indent=2))
