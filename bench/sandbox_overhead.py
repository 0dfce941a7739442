"""Per-call cost of scripts and expressions through SpiffWorkflow's default engine and through ours.

The default PythonScriptEngine runs plain exec/eval with full builtins; SandboxedScriptEngine adds
the restricted compile (cached), a guarded scope, size-checked operators and a deadline check at
every loop iteration. Figures, not a test.

Usage: python bench/sandbox_overhead.py [--calls 20000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402

from engine.scripting import SandboxedScriptEngine  # noqa: E402

THREE_LINES = 'total = amount * 2\nlabel = f"{branch}-{total}"\napproved = total > 100'
CONDITION = "amount >= 50 and branch != ''"
LOOP = "total = 0\nfor i in range(1000):\n    total += i"


def per_call_us(run, calls: int) -> float:
    run()  # compile and warm up
    started = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - started) / calls * 1e6


def measure(engine: PythonScriptEngine, calls: int) -> dict[str, float]:
    task = SimpleNamespace(data={"amount": 60, "branch": "第一党支部"})
    return {
        "3-line script": per_call_us(lambda: engine.execute(task, THREE_LINES), calls),
        "condition": per_call_us(lambda: engine.evaluate(task, CONDITION), calls),
        "1000-iteration loop": per_call_us(lambda: engine.execute(task, LOOP), max(calls // 100, 10)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    calls = parser.parse_args().calls
    default = measure(PythonScriptEngine(), calls)
    sandboxed = measure(SandboxedScriptEngine(), calls)
    print(f"{'':22}{'default µs':>12}{'sandbox µs':>12}{'ratio':>8}")
    for name, plain in default.items():
        print(f"{name:22}{plain:12.2f}{sandboxed[name]:12.2f}{sandboxed[name] / plain:8.2f}")
    print("(the default engine compiles the source on every call; the sandbox once per source and mode)")


if __name__ == "__main__":
    main()
