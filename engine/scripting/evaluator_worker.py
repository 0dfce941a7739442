"""An evaluator process: it runs scripts and expressions under the sandbox, one request at a time,
with its address space capped and a CPU limit set before each request.

Started by evaluator_pool.py as a fresh interpreter running `main()` with MEMORY_BYTES: requests
arrive on stdin and replies leave on stdout, each one JSON message (wire.py) framed as
multiprocessing's Connection frames them. The engine kills this process when a reply is late.
"""

from __future__ import annotations

import math
import os
import resource
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from engine.errors import ScriptRejected
from engine.scripting import wire
from engine.scripting.environment import SandboxEnvironment
from engine.scripting.script_errors import script_line
from engine.scripting.script_output import printed_texts
from engine.scripting.violations import bilingual

READY = b"ready"
MAX_MESSAGE = 2_000  # characters of an error message sent back
_environments: dict[float, SandboxEnvironment] = {}


def main() -> None:
    memory_bytes = int(sys.argv[1])
    # Ctrl-C in a terminal reaches the whole process group; the evaluator ends when its caller does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, replies = _take_over_standard_streams()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    replies.send_bytes(READY)
    while True:
        try:
            request = requests.recv_bytes()
        except (EOFError, OSError):
            return  # the engine closed the pipe, or went away
        reply, retire = answer(request)
        replies.send_bytes(reply)
        if retire:
            return


def _take_over_standard_streams() -> tuple[Connection, Connection]:
    """The pipes become the request and reply channels; fd 0 and 1 then point elsewhere, so nothing
    printed, by Python or by C code, can corrupt a reply."""
    requests = Connection(os.dup(0), writable=False)
    replies = Connection(os.dup(1), readable=False)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)
    sys.stdout = sys.stderr
    return requests, replies


def answer(request: bytes) -> tuple[bytes, bool]:
    """The reply to one request, and whether this process should stop after sending it."""
    message: dict[str, Any] = {}
    try:
        message = wire.decode(request)
        _limit_cpu(message["cpu_limit_s"])
        return wire.encode(_run(message)), False
    except MemoryError:
        return _error("memory", bilingual("脚本超出内存限制", "script exceeded its memory limit")), True
    except wire.UnsafeValue as unsafe:
        what = "任务数据 (task data)" if message.get("op") == "execute" else "结果 (result)"
        unsafe.path.pop()  # the reply's own key
        return _error("rejected", unsafe.message(what)), False
    except ScriptRejected as rejected:
        return _error("rejected", rejected.message, line=script_line(rejected)), False
    except Exception as error:
        return _error("error", str(error), type_name=type(error).__name__, args=error.args, line=script_line(error)), False


def _run(message: dict[str, Any]) -> dict[str, Any]:
    environment = _environment(float(message["time_limit_s"]))
    if message["op"] == "evaluate":
        value, printed = printed_texts(lambda: environment.evaluate(message["source"], message["context"], message["external"]))
        return {"value": value, "printed": printed}
    context = message["context"]
    _, printed = printed_texts(lambda: environment.execute(message["source"], context, message["external"]))
    return {"context": context, "printed": printed}


def _environment(time_limit_s: float) -> SandboxEnvironment:
    if time_limit_s not in _environments:
        _environments[time_limit_s] = SandboxEnvironment(time_limit_s, {})
    return _environments[time_limit_s]


def _limit_cpu(seconds: float) -> None:
    """Seconds of CPU from now, counted from what this process has used so far (the limit is
    cumulative); the kernel ends the process past it even if the engine that waits is gone."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _error(kind: str, message: str, *, type_name: str = "", args: tuple[Any, ...] = (), line: int = 0) -> bytes:
    details = {"kind": kind, "message": message[:MAX_MESSAGE], "type": type_name, "args": _plain(args), "line": line}
    return wire.encode({"error": details})


def _plain(args: tuple[Any, ...]) -> list[Any]:
    """The error's arguments if they are short plain values (a KeyError's key), else none."""
    plain = [arg for arg in args if arg is None or type(arg) in (bool, float) or _short(arg)]
    return plain if len(plain) == len(args) else []


def _short(value: object) -> bool:
    return (type(value) is str and len(value) <= MAX_MESSAGE) or (type(value) is int and value.bit_length() <= 64)
