# Copyright (c) hoop.gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type every runner raises, so both execution paths report alike."""


class HoopError(Exception):
    """A failure to show the user as it is.

    ``message`` must already say what happened and what to do, and must never contain a
    secret. ``details`` are extra, secret-free keys returned beside ``msg`` (for example
    ``status`` or ``url``) so that playbooks can branch on them.
    """

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self):
        return self.message
