"""End-to-end timer fixtures: a real RQ worker process, the real delivery loop, real seconds.

Each test gets its own queue (and so its own bell set in Redis), and the worker runs against the
same database the test uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import Worker

from engine.audit_checkpoints import AuditAnchor
from engine.db import normalize_url
from engine.timers.delivery import TimerDelivery
from tests.helpers.waiting import kill_group

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue_name() -> str:
    return f"wf-e2e-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def start_worker(database_url: str, redis_url: str, queue_name: str, audit_anchor: AuditAnchor) -> Iterator[Callable[[], subprocess.Popen]]:
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = {
            **os.environ,
            "DATABASE_URL": normalize_url(database_url),  # its jobs use the worker's --url
            "AUDIT_KEY": audit_anchor.key.decode(),  # the test's key and checkpoints, as the settings read them
            "AUDIT_CHECKPOINT_PATH": str(audit_anchor.checkpoint_path),
        }
        worker = subprocess.Popen(
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
                f"{queue_name}-{len(workers)}",
                queue_name,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        workers.append(worker)
        wait_until_registered(redis_url, f"{queue_name}-{len(workers) - 1}")
        return worker

    yield start
    for worker in workers:
        kill_group(worker)


def wait_until_registered(redis_url: str, name: str, timeout_s: float = 30.0) -> None:
    """A worker takes its first job only once started: deadlines are measured against a running one."""
    connection = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout_s
    while not any(worker.name == name for worker in Worker.all(connection=connection)):
        if time.monotonic() > deadline:
            raise AssertionError(f"worker {name} did not start within {timeout_s:.0f} s")
        time.sleep(0.05)
    connection.close()


@pytest.fixture
def delivery(session_factory, redis_url: str, queue_name: str) -> Iterator[TimerDelivery]:  # type: ignore[no-untyped-def]
    connection = redis.Redis.from_url(redis_url)
    deliverer = TimerDelivery(session_factory, connection, queue_name, stale_job_after=timedelta(seconds=2))
    stop = threading.Event()
    thread = threading.Thread(target=deliverer.run, kwargs={"stop": stop.is_set}, daemon=True)
    thread.start()
    yield deliverer
    stop.set()
    thread.join(timeout=10)
    connection.close()
