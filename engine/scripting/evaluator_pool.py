"""A small pool of evaluator processes, so that no script or expression can hold the calling web or
worker process past its time limit or grow it past a memory budget, even inside one C call.

Each evaluator (evaluator_worker.py) is a fresh interpreter, started with subprocess rather than
forked: the web server's process has threads, and a fork would copy their locks in whatever state
they were. Its address space is capped (RLIMIT_AS) and its CPU limited per request (RLIMIT_CPU);
the caller waits for the reply no longer than the time limit plus a grace, then kills the evaluator
(SIGKILL) and starts another. Requests and replies are JSON (wire.py), so a value that the database
could not hold never comes back, and nothing an evaluator sends is unpickled.

One pool serves a process (`shared_pool`); it starts its evaluators on first use.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from engine.errors import ScriptRejected
from engine.scripting import wire
from engine.scripting.evaluator_worker import READY
from engine.scripting.violations import bilingual

MIB = 1024 * 1024
_SOURCE_ROOT = Path(__file__).resolve().parents[2]  # where `engine` can be imported from
_WORKER_MAIN = "from engine.scripting.evaluator_worker import main; main()"
_START_TIMEOUT_S = 60.0  # an interpreter starting on a busy machine
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluatorLimits:
    workers: int = 2
    memory_bytes: int = 512 * MIB
    # The hard stop comes this long after the script's own time limit, which its loops check first
    # (a clearer message, with the line); the grace covers the round trip on a busy machine.
    kill_grace_s: float = 1.0
    # A reply is decoded in the caller's process, which has no memory limit of its own: a few MiB
    # of JSON can stand for ten times that in Python objects.
    max_reply_bytes: int = 8 * MIB
    # How long a caller waits for a free evaluator before its evaluation is refused.
    queue_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.workers < 1 or self.memory_bytes < 64 * MIB or self.kill_grace_s <= 0 or self.max_reply_bytes < 1024:
            raise ValueError(f"unusable evaluator limits: {self}")


class _EvaluatorLost(Exception):
    """The evaluator is gone or was killed; `message` tells the script's author why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Evaluator:
    def __init__(self, limits: EvaluatorLimits):
        self.limits = limits
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_MAIN, str(limits.memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_SOURCE_ROOT,
            # No credentials or settings of the engine's process reach the evaluator.
            env={"PYTHONPATH": str(_SOURCE_ROOT), "LANG": "C.UTF-8"},
        )
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("a sandbox evaluator was started without its pipes")
        self.requests = Connection(os.dup(stdin.fileno()), readable=False)
        self.replies = Connection(os.dup(stdout.fileno()), writable=False)
        stdin.close()
        stdout.close()
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_ready(self) -> None:
        """Its interpreter starting does not count against the first request's time limit."""
        if self.ready:
            return
        try:
            started = self.replies.poll(_START_TIMEOUT_S) and self.replies.recv_bytes(64) == READY
        except (EOFError, OSError):
            started = False
        if not started:
            self.kill()
            raise _EvaluatorLost(bilingual("沙箱求值进程未能启动", "a sandbox evaluator did not start"))
        self.ready = True

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: bytes, wall_limit_s: float) -> Any:
        self.wait_until_ready()
        try:
            self.requests.send_bytes(request)
        except OSError:
            raise _EvaluatorLost(self._death_message(wall_limit_s)) from None
        if not self.replies.poll(wall_limit_s):
            self.kill()
            raise _EvaluatorLost(_timeout_message(wall_limit_s))
        try:
            reply = self.replies.recv_bytes(self.limits.max_reply_bytes)
        except EOFError:
            raise _EvaluatorLost(self._death_message(wall_limit_s)) from None
        except OSError:  # longer than max_reply_bytes: the frame is left unread, so the pipe is spoilt
            self.kill()
            limit = self.limits.max_reply_bytes // MIB
            raise _EvaluatorLost(bilingual("脚本结果过大", f"script result larger than {limit} MiB")) from None
        try:
            return wire.decode(reply)
        except (ValueError, RecursionError):
            self.kill()
            raise _EvaluatorLost(bilingual("沙箱求值进程返回了无法识别的结果", "the sandbox evaluator sent an unreadable reply")) from None

    def _death_message(self, wall_limit_s: float) -> str:
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.kill()
            code = None
        if code == -signal.SIGXCPU:
            return _timeout_message(wall_limit_s)
        return bilingual(
            "沙箱求值进程意外退出，可能超出了内存限制",
            f"the sandbox evaluator stopped (exit status {code}); the script may have exceeded its memory limit",
        )

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        try:
            self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            _log.warning("sandbox evaluator %s did not stop after SIGKILL", self.pid)

    def close(self) -> None:
        self.kill()
        self.requests.close()
        self.replies.close()


def _timeout_message(wall_limit_s: float) -> str:
    return bilingual("脚本运行超时，已强制停止", f"script exceeded its time limit and was stopped after {wall_limit_s:g} s")


class EvaluatorPool:
    """`request(message, time_limit_s)` sends one request to a free evaluator and returns its reply
    (a dict with `value`, `context` or `error`); raises ScriptRejected when the evaluator had to be
    stopped or died. Safe to call from several threads."""

    def __init__(self, limits: EvaluatorLimits | None = None):
        self.limits = limits or EvaluatorLimits()
        self._idle: queue.LifoQueue[_Evaluator] = queue.LifoQueue()
        self._all: list[_Evaluator] = []
        self._lock = threading.Lock()
        self._owner_pid: int | None = None
        self._closed = False

    def request(self, message: dict[str, Any], time_limit_s: float) -> dict[str, Any]:
        payload = wire.encode({**message, "time_limit_s": time_limit_s, "cpu_limit_s": time_limit_s + self.limits.kill_grace_s + 1})
        wall_limit_s = time_limit_s + self.limits.kill_grace_s
        self.start()
        evaluator = self._acquire()
        try:
            reply: dict[str, Any] = evaluator.ask(payload, wall_limit_s)
            error = reply.get("error")
            if isinstance(error, dict) and error.get("kind") == "memory":
                evaluator = self._replace(evaluator)  # it stops after such a reply
        except _EvaluatorLost as lost:
            evaluator = self._replace(evaluator)
            raise ScriptRejected(lost.message) from None
        finally:
            self._idle.put(evaluator)
        return reply

    def pids(self) -> list[int]:
        """The evaluators' process ids (tests stop one to see it replaced)."""
        with self._lock:
            return [evaluator.pid for evaluator in self._all]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._owner_pid = None
            evaluators, self._all = self._all, []
        for evaluator in evaluators:
            evaluator.close()

    # -- internals -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the evaluators unless they run already (the first request does it otherwise)."""
        if self._owner_pid == os.getpid():
            return
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox evaluator pool is closed")
            if self._owner_pid == os.getpid():
                return
            # A forked child inherits the parent's pipes: it must not talk to the parent's evaluators.
            self._all = []
            self._idle = queue.LifoQueue()
            for _ in range(self.limits.workers):
                evaluator = _Evaluator(self.limits)
                self._all.append(evaluator)
                self._idle.put(evaluator)
            self._owner_pid = os.getpid()

    def _acquire(self) -> _Evaluator:
        deadline = time.monotonic() + self.limits.queue_timeout_s
        while True:
            try:
                evaluator = self._idle.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise ScriptRejected(
                    bilingual("沙箱求值进程繁忙，请稍后重试", "all sandbox evaluators are busy; try again later")
                ) from None
            if evaluator.alive():
                return evaluator
            self._idle.put(self._replace(evaluator))  # died while idle (killed from outside)

    def _replace(self, evaluator: _Evaluator) -> _Evaluator:
        evaluator.close()
        with self._lock:
            if self._closed:
                return evaluator  # dead; the pool's next request reports it closed
            fresh = _Evaluator(self.limits)
            self._all = [fresh if known is evaluator else known for known in self._all]
        return fresh


class _SharedPool:
    """This process's one pool, made on first use."""

    def __init__(self) -> None:
        self.pool: EvaluatorPool | None = None
        self.lock = threading.Lock()

    def get(self) -> EvaluatorPool:
        with self.lock:
            if self.pool is None:
                self.pool = EvaluatorPool()
            return self.pool

    def configure(self, limits: EvaluatorLimits) -> None:
        with self.lock:
            if self.pool is not None and self.pool.limits == limits:
                return
            previous, self.pool = self.pool, EvaluatorPool(limits)
        if previous is not None:
            previous.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


_SHARED = _SharedPool()
atexit.register(_SHARED.close)


def shared_pool() -> EvaluatorPool:
    return _SHARED.get()


def configure_shared_pool(limits: EvaluatorLimits) -> None:
    """Set the limits of this process's pool (the composition root does, from the settings); a
    pool already running with other limits is stopped, and the new one starts on its first use."""
    _SHARED.configure(limits)
