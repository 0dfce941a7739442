"""The timer delivery process's loop (ticker + reconciler), given its settings: the composition
layer's `python -m api.timer_daemon` reads them and calls `run_timer_delivery`. Several may run;
only the one holding the delivery lock works, the others wait to take over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import redis

from engine.audit import anchor_sessions
from engine.audit_checkpoints import AuditAnchor
from engine.db import make_engine, make_session_factory
from engine.timers.delivery import RECONCILE_S, TimerDelivery, sole_deliverer

_log = logging.getLogger("engine.timers.daemon")


def run_timer_delivery(
    database_url: str, redis_url: str, queue: str, lock_dir: Path, audit: AuditAnchor, *, stop: Callable[[], bool]
) -> None:
    """Deliver the timers of `queue` until `stop()` turns true, once this process holds the lock
    (a PostgreSQL advisory lock; a file in `lock_dir` on SQLite); `audit` keys the audit events."""
    database = make_engine(database_url, pool_pre_ping=True)
    connection = redis.Redis.from_url(redis_url)
    delivery = TimerDelivery(anchor_sessions(make_session_factory(database), audit), connection, queue)
    try:
        while not stop():
            with sole_deliverer(database, lock_dir) as held:
                if held:
                    _log.info("定时器投递已启动 (timer delivery running)")
                    delivery.run(stop=stop)
                    break
            time.sleep(RECONCILE_S)  # another process delivers; take over if it goes away
    finally:
        database.dispose()
