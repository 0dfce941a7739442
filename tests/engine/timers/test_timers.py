"""BPMN timers on the injected clock: rows written with the command that creates them, fired once
when due, cancelled when their event no longer waits — months of deadlines in milliseconds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.definitions.spec_cache import SpecCache
from engine.instances.service import InstanceService
from engine.models import AuditEvent, InstanceStatus, TaskStatus, Timer, TimerState, UserTask
from engine.procedures.extensions import NO_EXTENSIONS
from engine.timers.delivery import fire_due_timers
from engine.timers.firing import FireOutcome
from tests.helpers.deploying import deploy_fixture

DURATIONS = {"cooling_off_period": "P1D", "reminder_after": "PT12H", "review_window": "P3D", "reminders": 0}


@pytest.fixture
def started(session, service, clock, org_tree, people):  # type: ignore[no-untyped-def]
    deploy_fixture(session, clock, "timed_review.bpmn")
    instance = service.start("timed_review", org_tree.branch_a.id, data=DURATIONS, actor_id=people["drafter"].id)
    draft = open_task(session, instance.id, "draft")
    service.complete_task(draft.id, {}, actor_id=people["drafter"].id)
    return instance


def open_task(session, instance_id: int, element_id: str) -> UserTask:  # type: ignore[no-untyped-def]
    return session.scalars(
        select(UserTask).where(UserTask.instance_id == instance_id, UserTask.element_id == element_id, UserTask.status == TaskStatus.OPEN)
    ).one()


def timers(session, instance_id: int) -> dict[str, Timer]:  # type: ignore[no-untyped-def]
    session.expire_all()
    rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)).all()
    return {row.element_id: row for row in rows}


def test_a_waiting_timer_is_a_row_due_on_the_injected_clock(session, clock, started):
    row = timers(session, started.id)["cooling_off"]
    assert row.state == TimerState.PENDING and row.due_at == clock.now() + timedelta(days=1)
    scheduled = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "timer.scheduled")).one()
    assert scheduled.after["element_id"] == "cooling_off"


def test_nothing_fires_before_its_time_and_it_fires_once_after(session, session_factory, clock, started):
    assert fire_due_timers(session_factory, clock, NO_EXTENSIONS) == []
    clock.advance(timedelta(days=1, seconds=1))
    fired = fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    assert [outcome for _, outcome in fired] == ["fired"]
    assert open_task(session, started.id, "review")
    rows = timers(session, started.id)
    assert rows["cooling_off"].state == TimerState.FIRED and rows["cooling_off"].fired_at == clock.now()
    assert {rows["review_reminder"].due_at, rows["review_deadline"].due_at} == {
        clock.now() + timedelta(hours=12),
        clock.now() + timedelta(days=3),
    }
    again = InstanceService(session, clock=clock, specs=SpecCache()).fire_timer(rows["cooling_off"].id)
    assert again == FireOutcome.ALREADY_DONE


def test_an_early_bell_fires_nothing(session, clock, started):
    row = timers(session, started.id)["cooling_off"]
    assert InstanceService(session, clock=clock, specs=SpecCache()).fire_timer(row.id) == FireOutcome.EARLY
    assert timers(session, started.id)["cooling_off"].state == TimerState.PENDING


def test_non_interrupting_reminder_then_interrupting_deadline(session, session_factory, clock, started):
    clock.advance(timedelta(days=1, seconds=1))
    fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    review = open_task(session, started.id, "review")
    clock.advance(timedelta(hours=12))
    fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    assert open_task(session, started.id, "review").id == review.id  # still open after the reminder
    reminders = session.scalars(select(Timer).where(Timer.element_id == "review_reminder")).all()
    assert [r.state for r in reminders] == [TimerState.FIRED]  # fired once, not re-armed
    clock.advance(timedelta(days=3))
    fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    session.expire_all()
    assert session.get(UserTask, review.id).status == TaskStatus.CANCELLED
    assert open_task(session, started.id, "overdue_review")
    assert timers(session, started.id)["review_deadline"].state == TimerState.FIRED


def test_completing_in_time_cancels_the_deadline(session, session_factory, service, clock, people, started):
    clock.advance(timedelta(days=1, seconds=1))
    fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    service.complete_task(open_task(session, started.id, "review").id, {}, actor_id=people["secretary"].id)
    rows = timers(session, started.id)
    assert rows["review_deadline"].state == TimerState.CANCELLED and rows["review_reminder"].state == TimerState.CANCELLED
    clock.advance(timedelta(days=30))
    assert fire_due_timers(session_factory, clock, NO_EXTENSIONS) == []
    session.expire_all()
    assert session.get(type(started), started.id).status == InstanceStatus.COMPLETED


def test_a_suspended_instance_defers_its_timers_until_resumed(session, session_factory, service, clock, people, started):
    service.suspend(started.id, actor_id=people["secretary"].id)
    clock.advance(timedelta(days=2))
    assert [outcome for _, outcome in fire_due_timers(session_factory, clock, NO_EXTENSIONS)] == ["deferred"]
    service.resume(started.id, actor_id=people["secretary"].id)
    assert next(outcome for _, outcome in fire_due_timers(session_factory, clock, NO_EXTENSIONS)) == "fired"


def test_cancelling_the_instance_cancels_its_timers(session, service, clock, people, started):
    service.cancel(started.id, actor_id=people["secretary"].id)
    assert timers(session, started.id)["cooling_off"].state == TimerState.CANCELLED


def test_a_timer_fires_at_exactly_its_due_time(session, session_factory, clock, started):
    """SpiffWorkflow fires a timer only strictly after its due time; the engine calls it due at it."""
    clock.advance(timers(session, started.id)["cooling_off"].due_at - clock.now())
    fired = fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    assert [outcome for _, outcome in fired] == ["fired"]
    assert open_task(session, started.id, "review")
    assert timers(session, started.id)["cooling_off"].fired_at == clock.now()
