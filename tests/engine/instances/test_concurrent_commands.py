"""Two people completing the same task, or starting a once-a-year process for one branch, at the
same moment: exactly one wins, the others get a clear conflict, and nothing is half-written."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select

from engine.audit import verify_chain
from engine.definitions.spec_cache import SpecCache
from engine.errors import Conflict
from engine.instances.service import InstanceService
from engine.models import AuditEvent, ProcessInstance, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture

CONTENDERS = 4


def race(session_factory, clock, attempts: list[Callable[[InstanceService], object]]) -> list[object]:  # type: ignore[no-untyped-def]
    """Run the attempts at once, each in its own session; "won" or the error each one met."""
    barrier = threading.Barrier(len(attempts))
    specs = SpecCache()
    outcomes: list[object] = [None] * len(attempts)

    def contend(index: int, attempt: Callable[[InstanceService], object]) -> None:
        with session_factory() as session:
            service = InstanceService(session, clock=clock, specs=specs)
            barrier.wait()
            try:
                attempt(service)
                outcomes[index] = "won"
            except Exception as error:  # the assertion below names any unexpected kind
                outcomes[index] = error

    threads = [threading.Thread(target=contend, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def completion(task_id: str, actor_id: int) -> Callable[[InstanceService], object]:
    return lambda service: service.complete_task(task_id, {"title": f"by {actor_id}"}, actor_id=actor_id)


def test_exactly_one_of_concurrent_completions_wins(session, session_factory, service, clock, org_tree, people):
    deploy_fixture(session, clock, "review_loop.bpmn")
    instance = service.start("review_loop", org_tree.branch_a.id)
    task = session.scalars(select(UserTask).where(UserTask.status == TaskStatus.OPEN)).one()
    actors = [people["drafter"].id] * CONTENDERS

    outcomes = race(session_factory, clock, [completion(task.id, actor) for actor in actors])

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


def test_exactly_one_of_concurrent_starts_of_a_once_a_year_process_wins(session, session_factory, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    start = lambda service: service.start("annual_start", org_tree.branch_a.id)  # noqa: E731

    outcomes = race(session_factory, clock, [start] * CONTENDERS)

    assert outcomes.count("won") == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if o != "won"), outcomes
    session.expire_all()
    assert len(session.scalars(select(ProcessInstance)).all()) == 1
    assert session.query(AuditEvent).filter(AuditEvent.event_type == "instance.started").count() == 1
    assert verify_chain(session).ok
