"""What a script raises, from inside, when it crosses the sandbox's line.

Both classes derive from BaseException on purpose: the script's own `except Exception` (the only kind
of handler the sandbox lets it write) cannot swallow them, so a violation or a timeout always ends
the evaluation. The environment turns them into `ScriptRejected` at its boundary.
"""

from __future__ import annotations


def bilingual(chinese: str, english: str, detail: object = None) -> str:
    """A user-facing message: Chinese first, English in parentheses, then the specifics."""
    message = f"{chinese} ({english})"
    return message if detail is None else f"{message}: {detail}"


class SandboxViolation(BaseException):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ScriptTimeout(SandboxViolation):
    def __init__(self, time_limit_s: float):
        super().__init__(bilingual("脚本运行超时", f"script exceeded its time limit of {time_limit_s} s"))
