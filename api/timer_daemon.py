"""`python -m api.timer_daemon`: the timer delivery process `make run` starts (ticker + reconciler).

Its settings come from api/settings.py: DATABASE_URL, REDIS_URL (required here), WF_QUEUE and
WF_INSTANCE_DIR (where the delivery lock lives on SQLite). The loop itself is the engine's
`run_timer_delivery`; SIGTERM or Ctrl-C stops it.
"""

from __future__ import annotations

import logging
import signal
import threading

from api.settings import SettingsError, audit_anchor, read_settings
from engine.scripting.evaluator_pool import configure_shared_pool
from engine.timers.daemon import run_timer_delivery

_log = logging.getLogger("api.timer_daemon")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    settings = read_settings()
    if settings.redis_url is None:
        _log.error("定时器投递需要 REDIS_URL (the timer delivery needs REDIS_URL)")
        return 2
    configure_shared_pool(settings.evaluator_limits())
    try:
        audit = audit_anchor(settings)
    except SettingsError as error:
        _log.error("%s", error)
        return 2
    run_timer_delivery(settings.database_url, settings.redis_url, settings.rq_queue, settings.instance_dir, audit, stop=stopping.is_set)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
