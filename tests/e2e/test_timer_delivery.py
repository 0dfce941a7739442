"""Timers with a real Redis, a real worker process and real seconds: on time, after Redis lost
everything, after a worker died while firing, a thousand at once — each fired exactly once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from engine.clock import SYSTEM_CLOCK
from engine.definitions.spec_cache import SpecCache
from engine.instances.service import InstanceService
from engine.models import AuditEvent, TaskStatus, Timer, TimerState, UserTask
from engine.timers.delivery import TimerDelivery, sole_deliverer
from engine.timers.doorbell import RedisDoorbell
from tests.helpers.deploying import deploy_fixture
from tests.helpers.waiting import kill_group, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def bells(redis_url, queue_name):  # type: ignore[no-untyped-def]
    connection = redis.Redis.from_url(redis_url)
    yield RedisDoorbell(connection, queue_name)
    connection.close()


def start_with_deadline(session, org_tree, bells, window: str = "PT2S", burn: float = 0.0) -> int:  # type: ignore[no-untyped-def]
    service = InstanceService(session, clock=SYSTEM_CLOCK, specs=SpecCache(), doorbell=bells)
    data = {"review_window": window, "burn_seconds": burn, "escalations": 0}
    return service.start("boundary_deadline", org_tree.branch_a.id, data=data).id


def deadline_timer(session_factory, instance_id: int) -> Timer:  # type: ignore[no-untyped-def]
    with session_factory() as fresh:
        return fresh.scalars(select(Timer).where(Timer.instance_id == instance_id)).one()


def fired_events(session_factory, instance_id: int) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as fresh:
        return fresh.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.instance_id == instance_id, AuditEvent.event_type == "timer.fired")
        )


@pytest.fixture
def deployed(session, clock):  # type: ignore[no-untyped-def]
    return deploy_fixture(session, clock, "boundary_deadline.bpmn")


def test_a_pt2s_boundary_timer_fires_within_a_second_of_its_due_time(
    session, session_factory, org_tree, deployed, bells, start_worker, delivery
):
    start_worker()
    instance_id = start_with_deadline(session, org_tree, bells)
    wait_until(lambda: deadline_timer(session_factory, instance_id).state == TimerState.FIRED, 15, "deadline fired")
    timer = deadline_timer(session_factory, instance_id)
    lateness = (timer.fired_at - timer.due_at).total_seconds()
    assert 0 <= lateness < 1.0, lateness
    with session_factory() as fresh:
        open_elements = fresh.scalars(
            select(UserTask.element_id).where(UserTask.instance_id == instance_id, UserTask.status == TaskStatus.OPEN)
        ).all()
    assert open_elements == ["overdue_review"]


def test_the_same_after_redis_loses_everything_before_the_due_time(
    session, session_factory, org_tree, deployed, bells, start_worker, delivery, redis_url
):
    instance_id = start_with_deadline(session, org_tree, bells, window="PT4S")
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()  # the bell, any job: gone, as after FLUSHALL or a restart without persistence
    connection.close()
    start_worker()
    wait_until(lambda: deadline_timer(session_factory, instance_id).state == TimerState.FIRED, 20, "deadline fired")
    timer = deadline_timer(session_factory, instance_id)
    assert (timer.fired_at - timer.due_at).total_seconds() < 1.0 + 2.0  # bounded by the reconcile interval
    assert fired_events(session_factory, instance_id) == 1


def test_a_worker_killed_while_firing_fires_exactly_once_after_restart(
    session, session_factory, org_tree, deployed, bells, start_worker, delivery
):
    worker = start_worker()
    instance_id = start_with_deadline(session, org_tree, bells, window="PT1S", burn=0.8)
    timer_id = deadline_timer(session_factory, instance_id).id
    started_key = f"rq:job:wf-timer-{timer_id}-0"
    connection = delivery.connection
    wait_until(lambda: connection.hget(started_key, "status") == b"started", 15, "the job started")
    kill_group(worker)  # mid-way through the 0.8 s script: the transaction never commits
    assert deadline_timer(session_factory, instance_id).state == TimerState.PENDING
    start_worker()
    wait_until(lambda: deadline_timer(session_factory, instance_id).state == TimerState.FIRED, 30, "fired after restart")
    assert fired_events(session_factory, instance_id) == 1
    with session_factory() as fresh:
        escalated = fresh.scalars(
            select(UserTask).where(UserTask.instance_id == instance_id, UserTask.element_id == "overdue_review")
        ).all()
    assert len(escalated) == 1


def test_a_thousand_timers_due_in_the_same_second_each_fire_once(
    session, session_factory, org_tree, deployed, bells, start_worker, delivery
):
    service = InstanceService(session, clock=SYSTEM_CLOCK, specs=SpecCache(), doorbell=bells)
    instance_ids = [
        service.start("boundary_deadline", org_tree.branch_a.id, data={"review_window": "PT8S", "burn_seconds": 0, "escalations": 0}).id
        for _ in range(1000)
    ]
    for _ in range(3):
        start_worker()

    def all_fired() -> bool:
        with session_factory() as fresh:
            return fresh.scalar(select(func.count()).select_from(Timer).where(Timer.state == TimerState.PENDING)) == 0

    wait_until(all_fired, 100, "all 1,000 timers fired")
    with session_factory() as fresh:
        per_instance = fresh.execute(
            select(AuditEvent.instance_id, func.count()).where(AuditEvent.event_type == "timer.fired").group_by(AuditEvent.instance_id)
        ).all()
    assert len(per_instance) == 1000 and {count for _, count in per_instance} == {1}
    assert {instance for instance, _ in per_instance} == set(instance_ids)


def test_two_deliverers_at_once_ring_nothing_twice(
    session, session_factory, db_engine, org_tree, deployed, bells, redis_url, queue_name, tmp_path: Path
):
    instance_ids = [start_with_deadline(session, org_tree, bells, window="PT30S") for _ in range(20)]
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    first = TimerDelivery(session_factory, connection, queue_name)
    second = TimerDelivery(session_factory, connection, queue_name)
    with sole_deliverer(db_engine, tmp_path) as one, sole_deliverer(db_engine, tmp_path) as other:
        assert (one, other) == (True, False)
    barrier = threading.Barrier(2)
    rung: list[int] = []

    def reconcile(deliverer: TimerDelivery) -> None:
        barrier.wait()
        rung.append(deliverer.reconcile())

    threads = [threading.Thread(target=reconcile, args=(d,)) for d in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    members = connection.zrange(delivery_key(queue_name), 0, -1)
    assert len(members) == len(instance_ids) == len(set(members))
    connection.close()


def delivery_key(queue_name: str) -> str:
    from engine.timers.doorbell import due_key

    return due_key(queue_name)
