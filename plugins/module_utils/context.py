# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a runner needs to know about the task besides its options."""

import os


class RunContext:
    """Task-level facts handed to every runner.

    ``environ`` is where environment fallbacks are read from. A shipped module sees its own
    process environment, which already holds the task's ``environment:`` keyword; on the
    controller the action plugin passes the controller's environment merged with that
    keyword, so both paths resolve the same values.
    """

    def __init__(self, check_mode=False, diff=False, environ=None, warn=None):
        self.check_mode = bool(check_mode)
        self.diff = bool(diff)
        self.environ = dict(os.environ if environ is None else environ)
        self.warnings = []
        self._warn = warn

    def warn(self, message):
        self.warnings.append(message)
        if self._warn is not None:
            self._warn(message)

    def env(self, name):
        """Return an environment value, treating an empty string as unset."""
        value = self.environ.get(name)
        return value if value not in (None, "") else None
