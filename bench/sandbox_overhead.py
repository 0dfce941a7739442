"""Cost per evaluation: SpiffWorkflow's default engine, our sandbox in the calling process, and our
sandbox through the evaluator pool (what the engine runs workflows with).

The default PythonScriptEngine runs plain exec/eval with full builtins; the in-process sandbox adds
the restricted compile (cached), a guarded scope, size-checked operators and a deadline check at
every loop iteration; the pool adds the round trip to an evaluator process: the task data and the
result encoded as JSON, two pipe writes and two reads. Figures, not a test: the median over N
single calls, in microseconds.

Usage: python bench/sandbox_overhead.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402

from engine.scripting import SandboxedScriptEngine  # noqa: E402
from engine.scripting.evaluator_pool import EvaluatorPool  # noqa: E402

THREE_LINES = 'total = amount * 2\nlabel = f"{branch}-{total}"\napproved = total > 100'
CONDITION = "amount >= 50 and branch != ''"
LOOP = "total = 0\nfor i in range(1000):\n    total += i"
SMALL_DATA = {"amount": 60, "branch": "第一党支部"}
# A branch's roll call in the task data: what a condition in an appraisal carries along.
MEMBERS = [{"name": f"党员{i}", "present": i % 3 != 0, "grade": "合格", "note": "按时参加组织生活" * 3} for i in range(50)]


def median_us(run: Callable[[], Any], calls: int) -> float:
    run()  # compile and warm up
    samples = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        run()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1000


def measure(engine: PythonScriptEngine, calls: int) -> dict[str, float]:
    small = SimpleNamespace(data=dict(SMALL_DATA))
    roll_call = SimpleNamespace(data={**SMALL_DATA, "members": MEMBERS})
    return {
        "condition": median_us(lambda: engine.evaluate(small, CONDITION), calls),
        "condition, 50 members": median_us(lambda: engine.evaluate(roll_call, CONDITION), calls),
        "3-line script": median_us(lambda: engine.execute(small, THREE_LINES), calls),
        "1000-iteration loop": median_us(lambda: engine.execute(small, LOOP), max(calls // 10, 10)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    pool = EvaluatorPool()
    try:
        pool.start()
        columns = {
            "default": measure(PythonScriptEngine(), calls),
            "in-process": measure(SandboxedScriptEngine(), calls),
            "pool": measure(SandboxedScriptEngine(pool=pool), calls),
        }
    finally:
        pool.close()
    print(f"µs per evaluation, median of {calls} calls")
    print(f"{'':24}" + "".join(f"{name:>12}" for name in columns) + f"{'pool - in-process':>20}")
    for case in columns["default"]:
        figures = "".join(f"{column[case]:12.1f}" for column in columns.values())
        print(f"{case:24}{figures}{columns['pool'][case] - columns['in-process'][case]:20.1f}")
    print("(the default engine compiles the source on every call; the sandbox once per source and mode)")


if __name__ == "__main__":
    main()
