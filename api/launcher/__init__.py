"""`make run`: one command that prepares the database and supervises Redis, the RQ worker and the
web server until Ctrl-C (`python -m api.launcher`).

Every message is Chinese first, then English in parentheses.
"""

from __future__ import annotations


class LauncherError(Exception):
    """Start-up cannot continue; the message is shown to the operator as is."""


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)
