"""The engine's overhead over bare SpiffWorkflow in CPU instructions, which a busy machine does not move.

engine_overhead.py times both sides on the wall clock; on a shared VM the same run varies by a
quarter from one minute to the next. Here each side runs under valgrind's callgrind, which counts
the instructions executed (the interpreter, SQLite and every C extension; not the kernel).
Each side runs twice, with a few instances and with more; the difference divided by the extra
instances is the cost of one instance, start-up and imports cancelled out.

Instructions are not time: the engine's code (SQLAlchemy, SQLite, many small functions) runs fewer
instructions per cycle than SpiffWorkflow's tight loops, so the wall-clock ratio is higher than
this one. Use this figure to compare two versions of the hot path; use engine_overhead.py for rates.

Usage: python bench/engine_instructions.py [--instances 30]   (needs valgrind; a few minutes)
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BASELINE_INSTANCES = 5
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
_ONE_SIDE = Path(__file__).with_name("engine_overhead.py")


def instructions(side: str, instances: int) -> int:
    """Instructions of one process running `instances` instances of one side (plus its start-up)."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(_ONE_SIDE),
        "--only",
        side,
        "--instances",
        str(instances),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    match = _COLLECTED.search(finished.stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no instruction count for {side}:\n{finished.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--instances", type=int, default=30, help="extra instances measured per side")
    options = arguments.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian package valgrind)")

    runs = [(side, count) for side in ("bare", "engine") for count in (BASELINE_INSTANCES, BASELINE_INSTANCES + options.instances)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(runs, pool.map(lambda run: instructions(*run), runs), strict=True))
    per_instance = {
        side: (counts[side, BASELINE_INSTANCES + options.instances] - counts[side, BASELINE_INSTANCES]) / options.instances
        for side in ("bare", "engine")
    }
    print(f"(a) bare SpiffWorkflow + JSON : {per_instance['bare'] / 1e6:8.2f} M instructions per instance")
    print(f"(b) engine service on sqlite  : {per_instance['engine'] / 1e6:8.2f} M instructions per instance")
    print(f"ratio (b)/(a) instructions per instance: {per_instance['engine'] / per_instance['bare']:.2f}x")


if __name__ == "__main__":
    main()
