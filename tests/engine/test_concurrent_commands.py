"""Two people completing the same task at the same moment: exactly one wins, the other gets a
clear conflict, and nothing is half-written."""
from __future__ import annotations

import threading

from sqlalchemy import select

from engine.audit import verify_chain
from engine.errors import Conflict
from engine.instance_service import InstanceService
from engine.models import AuditEvent, TaskStatus, UserTask
from engine.spec_cache import SpecCache
from tests.engine.conftest import deploy_fixture

CONTENDERS = 4


def race(session_factory, clock, task_id: str, actor_ids: list[int]) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(actor_ids))
    specs = SpecCache()
    outcomes: list[object] = [None] * len(actor_ids)

    def contend(index: int, actor_id: int) -> None:
        with session_factory() as session:
            service = InstanceService(session, clock=clock, specs=specs)
            barrier.wait()
            try:
                service.complete_task(task_id, {"title": f"by {actor_id}"}, actor_id=actor_id)
                outcomes[index] = "won"
            except Exception as error:  # the assertion below names any unexpected kind
                outcomes[index] = error

    threads = [threading.Thread(target=contend, args=(i, a)) for i, a in enumerate(actor_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_exactly_one_of_concurrent_completions_wins(session, session_factory, service, clock, org_tree, people):
    deploy_fixture(session, clock, "review_loop.bpmn")
    instance = service.start("review_loop", org_tree.branch_a.id)
    task = session.scalars(select(UserTask).where(UserTask.status == TaskStatus.OPEN)).one()
    actors = [people["drafter"].id] * CONTENDERS

    outcomes = race(session_factory, clock, task.id, actors)

    assert outcomes.count("won") == 1, outcomes
    losers = [o for o in outcomes if o != "won"]
    assert all(isinstance(o, Conflict) for o in losers), losers
    session.expire_all()
    completed = session.scalars(select(UserTask).where(UserTask.id == task.id)).one()
    assert completed.status == TaskStatus.COMPLETED
    assert session.query(AuditEvent).filter(AuditEvent.event_type == "task.completed").count() == 1
    open_rows = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN)).all()
    assert [r.element_id for r in open_rows] == ["review"]
    assert verify_chain(session).ok
