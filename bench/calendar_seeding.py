"""Seeding the working-day calendar from chinesecalendar (every year the package covers), into a
fresh database: the cost `make run` pays on a new database. Figures, not a test.

Usage: python bench/calendar_seeding.py [--database-url URL]  (default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.audit import anchor_sessions  # noqa: E402
from engine.audit_checkpoints import AuditAnchor  # noqa: E402
from engine.calendar import package_years, seed_from_package  # noqa: E402
from engine.calendar.seeding import package_year  # noqa: E402
from engine.clock import SYSTEM_CLOCK  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.schema import upgrade_to_head  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(args.database_url or f"sqlite:///{scratch}/calendar.db")
        upgrade_to_head(engine)
        anchor = AuditAnchor(key=secrets.token_bytes(32), checkpoint_path=Path(scratch) / "audit-checkpoints.jsonl")
        sessions = anchor_sessions(make_session_factory(engine), anchor)
        package_year.cache_clear()
        started = time.perf_counter()
        with sessions() as session:
            report = seed_from_package(session, SYSTEM_CLOCK)
            session.commit()
        elapsed = time.perf_counter() - started
        years = package_years()
        print(f"{engine.dialect.name}: {report.inserted} days of {years[0]}–{years[-1]} seeded in {elapsed:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
