"""The launcher's children: each leads its own process group and gets SIGTERM when the launcher
dies, however it dies; stopping one means its whole group, then anything it left behind."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from api.launcher import say

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_MINIMUM_GRACE = 0.5  # seconds every child gets, even after a second Ctrl-C
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@dataclass
class Child:
    zh: str
    en: str
    process: subprocess.Popen[bytes]

    @property
    def name(self) -> str:
        return f"{self.zh} ({self.en})"

    def running(self) -> bool:
        return self.process.poll() is None


def become_subreaper() -> None:
    """Descendants orphaned by a dying child (an RQ work horse, a gunicorn worker whose master was
    killed) are re-parented to the launcher rather than to init, so `sweep()` still finds them."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def spawn(zh: str, en: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> Child:
    """Start a child in a new process group: the terminal's Ctrl-C reaches only the launcher, which
    then stops the children in order."""
    process = subprocess.Popen(
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_die_with_parent(os.getpid()),  # noqa: PLW1509  (the launcher starts no threads)
    )
    return Child(zh, en, process)


def _die_with_parent(parent_pid: int) -> Callable[[], None] | None:
    """Linux: the kernel sends SIGTERM to the child when the launcher dies, even from SIGKILL."""
    libc = _LIBC
    if libc is None:
        return None

    def set_parent_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent_pid:  # the launcher died before the request took effect
            os._exit(1)

    return set_parent_death_signal


def stop(children: Sequence[Child], *, grace: float, hurry: Callable[[], bool]) -> None:
    """SIGTERM each child's process group; after `grace` seconds (half a second once `hurry()`
    turns true: a second Ctrl-C) SIGKILL what is left, including descendants that left the group."""
    family = [p for child in children for p in _descendants(child.process.pid)]
    for child in children:
        _signal_group(child, signal.SIGTERM)
    started = time.monotonic()
    while any(child.running() for child in children):
        waited = time.monotonic() - started
        if waited > grace or (hurry() and waited > _MINIMUM_GRACE):
            break
        time.sleep(0.05)
    for child in children:
        if child.running():
            say(f"{child.zh}仍未退出，强制结束 (the {child.en} is still running; killing it)")
        _signal_group(child, signal.SIGKILL)  # the leader, or members it left behind
        child.process.wait()
    _kill(family)


def sweep() -> list[int]:
    """Kill and reap every descendant still alive (orphans re-parented to us); return their pids."""
    left = _descendants(os.getpid())
    _kill(left)
    return [process.pid for process in left]


def _signal_group(child: Child, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _kill(processes: Iterable[psutil.Process]) -> None:
    processes = list(processes)
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()  # psutil checks the pid was not reused meanwhile
    psutil.wait_procs(processes, timeout=5)
