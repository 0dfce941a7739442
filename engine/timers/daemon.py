"""`python -m engine.timers.daemon`: the timer delivery process (ticker + reconciler).

Reads DATABASE_URL, REDIS_URL and WF_QUEUE (default "workflow") from the environment. Several may
be started; only the one holding the delivery lock works, the others wait to take over.
"""
from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

import redis

from engine.db import make_engine, make_session_factory
from engine.timers.jobs import QUEUE_NAME
from engine.timers.delivery import RECONCILE_S, TimerDelivery, sole_deliverer

_log = logging.getLogger("engine.timers.daemon")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stopping = {"now": False}

    def request_stop(_signum: int, _frame: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    database = make_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    connection = redis.Redis.from_url(os.environ["REDIS_URL"])
    delivery = TimerDelivery(make_session_factory(database), connection, os.environ.get("WF_QUEUE", QUEUE_NAME))
    lock_dir = Path(os.environ.get("WF_INSTANCE_DIR", "instance"))
    while not stopping["now"]:
        with sole_deliverer(database, lock_dir) as held:
            if held:
                _log.info("定时器投递已启动 (timer delivery running)")
                delivery.run(stop=lambda: stopping["now"])
                break
        time.sleep(RECONCILE_S)  # another process delivers; take over if it goes away
    database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
