"""Waiting for what other processes do, without sleeping longer than needed, and stopping them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable


def kill_group(process: subprocess.Popen) -> None:
    """The worker and the work horse it forked for the current job."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s: {message}")
