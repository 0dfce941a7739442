"""Service levels on the injected clock: a task's due rule gives it a due date on China's working
calendar, a reminder before it and an escalation at it; finishing in time cancels both."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.calendar import seed_from_package
from engine.models import AuditEvent, Notification, TaskStatus, Timer, TimerKind, TimerState, UserTask
from engine.people.permissions import is_candidate, load_actor
from engine.procedures.extensions import NO_EXTENSIONS
from engine.timers.delivery import fire_due_timers
from tests.helpers.deploying import deploy_fixture


@pytest.fixture
def review(session, service, clock, org_tree, people):  # type: ignore[no-untyped-def]
    seed_from_package(session, clock, years=[2026])
    session.commit()
    deploy_fixture(session, clock, "review_loop.bpmn")
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    draft = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()
    service.complete_task(draft.id, {"title": "季度党费"}, actor_id=people["drafter"].id)
    return session.scalars(select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN)).one()


def sla_rows(session, task_id: str) -> dict[TimerKind, Timer]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {row.kind: row for row in session.scalars(select(Timer).where(Timer.task_id == task_id))}


def test_the_due_rule_gives_a_due_date_on_the_working_calendar(session, clock, review):
    # Mon 2026-03-02 09:00 UTC + "3 working days": the end of Thu 2026-03-05 in Beijing.
    assert review.due_rule == "3 working days"
    assert review.due_at == datetime(2026, 3, 5, 16, 0)
    assert clock.now() < review.follow_up_at < review.due_at
    rows = sla_rows(session, review.id)
    assert rows[TimerKind.SLA_REMINDER].due_at == review.follow_up_at
    assert rows[TimerKind.SLA_ESCALATION].due_at == review.due_at
    assert not rows[TimerKind.SLA_ESCALATION].provisional


def test_a_reminder_then_an_escalation_to_the_party_committee(session, session_factory, clock, org_tree, people, review):
    clock.set(review.follow_up_at + timedelta(seconds=1))
    fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    reminded = session.scalars(select(Notification).where(Notification.kind == "reminder")).all()
    assert [n.person_id for n in reminded] == [people["secretary"].id] and "到期" in reminded[0].message
    session.refresh(review)
    assert not review.overdue

    clock.set(review.due_at + timedelta(seconds=1))
    fire_due_timers(session_factory, clock, NO_EXTENSIONS)
    session.refresh(review)
    assert review.overdue and review.status == TaskStatus.OPEN
    assert (review.escalated_role, review.escalated_organization_id) == ("committee_member", org_tree.committee.id)
    escalated_to = {n.person_id for n in session.scalars(select(Notification).where(Notification.kind == "escalation"))}
    assert escalated_to == {people["secretary"].id, people["committee"].id}
    assert is_candidate(load_actor(session, people["committee"]), review)
    event = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "task.escalated")).one()
    assert event.before["overdue"] is False and event.after["escalated_role"] == "committee_member"


def test_finishing_in_time_cancels_reminder_and_escalation(session, session_factory, service, clock, people, review):
    service.complete_task(review.id, {"outcome": "return"}, actor_id=people["secretary"].id)
    rows = sla_rows(session, review.id)
    assert {row.state for row in rows.values()} == {TimerState.CANCELLED}
    clock.advance(timedelta(days=30))
    assert fire_due_timers(session_factory, clock, NO_EXTENSIONS) == []  # back at the draft, which has no due rule
    assert session.scalars(select(Notification).where(Notification.task_id == review.id)).all() == []


def test_a_deadline_in_an_unpublished_year_is_kept_but_marked_provisional(session, service, clock, org_tree, people):
    clock.set(datetime(2027, 3, 1, 9, 0))
    deploy_fixture(session, clock, "review_loop.bpmn")
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    draft = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()
    service.complete_task(draft.id, {"title": "2027"}, actor_id=people["drafter"].id)
    row = session.scalars(select(Timer).where(Timer.kind == TimerKind.SLA_ESCALATION)).one()
    assert row.provisional and row.due_at == datetime(2027, 3, 4, 16, 0)
