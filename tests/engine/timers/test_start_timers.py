"""Timer start events of deployed processes: scheduled at deploy time, one instance per branch at
each occurrence, the next occurrence scheduled, and a newer version taking over the schedule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.definitions.deployment import deploy
from engine.errors import Conflict, DeploymentRefused
from engine.models import AuditEvent, InstanceStatus, ProcessInstance, TaskStatus, Timer, TimerKind, TimerState, UserTask
from engine.procedures.extensions import NO_EXTENSIONS
from engine.timers.delivery import fire_due_timers
from tests.helpers.deploying import deploy_fixture, read_fixture

FIRST = datetime(2026, 10, 8, 1, 0)  # 09:00 in Beijing


def start_rows(session) -> list[Timer]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(Timer).where(Timer.kind == TimerKind.START).order_by(Timer.id)))


def test_deploying_schedules_the_next_occurrence(session, clock):
    deploy_fixture(session, clock, "annual_start.bpmn")
    (row,) = start_rows(session)
    assert (row.due_at, row.state, row.instance_id) == (FIRST, TimerState.PENDING, None)


def test_each_occurrence_starts_one_instance_per_branch_then_schedules_the_next(session, session_factory, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    clock.set(FIRST + timedelta(seconds=1))
    assert [outcome for _, outcome in fire_due_timers(session_factory, clock, NO_EXTENSIONS)] == ["fired"]
    instances = session.scalars(select(ProcessInstance).order_by(ProcessInstance.organization_id)).all()
    assert [(i.organization_id, i.business_key, i.status) for i in instances] == [
        (org_tree.branch_a.id, "annual_start@2026-10-08", InstanceStatus.RUNNING),
        (org_tree.branch_b.id, "annual_start@2026-10-08", InstanceStatus.RUNNING),
    ]
    # The start event counts as fired inside each instance: the first task is open at once.
    tasks = session.scalars(select(UserTask).where(UserTask.status == TaskStatus.OPEN)).all()
    assert sorted(t.candidate_organization_id for t in tasks) == [org_tree.branch_a.id, org_tree.branch_b.id]
    assert session.scalars(select(Timer).where(Timer.kind == TimerKind.BPMN)).all() == []  # no start event left waiting
    fired, following = start_rows(session)
    assert fired.state == TimerState.FIRED and following.due_at == datetime(2027, 10, 8, 1, 0)
    assert fire_due_timers(session_factory, clock, NO_EXTENSIONS) == []  # nothing twice


def test_a_new_version_takes_over_the_schedule(session, clock):
    deploy_fixture(session, clock, "annual_start.bpmn")
    changed = read_fixture("annual_start.bpmn").replace("部署年度评议".encode(), "启动年度评议".encode())
    deploy(session, {"annual_start.bpmn": changed}, clock=clock)
    first, second = start_rows(session)
    assert (first.state, second.state) == (TimerState.CANCELLED, TimerState.PENDING)
    assert second.definition_id != first.definition_id and second.due_at == FIRST


def test_a_process_with_a_timer_start_can_also_be_started_by_hand(session, service, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    instance = service.start("annual_start", org_tree.branch_a.id)
    task = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()
    assert task.element_id == "prepare" and task.status == TaskStatus.OPEN


# -- once_per="year": one instance per organisation per calendar year in Beijing ---------------


def test_the_timer_skips_a_branch_that_started_this_years_instance_by_hand(session, session_factory, service, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    by_hand = service.start("annual_start", org_tree.branch_a.id, business_key="2026年度")
    clock.set(FIRST + timedelta(seconds=1))
    assert [outcome for _, outcome in fire_due_timers(session_factory, clock, NO_EXTENSIONS)] == ["fired"]
    session.expire_all()
    instances = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all()
    assert [(i.organization_id, i.business_key) for i in instances] == [
        (org_tree.branch_a.id, "2026年度"),
        (org_tree.branch_b.id, "annual_start@2026-10-08"),
    ]
    fired = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "timer.fired")).one()
    assert fired.after["started_instances"] == [instances[1].id]
    assert fired.after["skipped_organizations"] == {str(org_tree.branch_a.id): by_hand.id}


def test_a_second_start_in_the_same_year_is_refused_and_writes_nothing(session, service, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    first = service.start("annual_start", org_tree.branch_a.id)
    events_before = session.scalar(select(func.count(AuditEvent.seq)))
    clock.set(datetime(2026, 12, 31, 15, 59))  # 23:59 on 31 December in Beijing: still 2026
    with pytest.raises(Conflict, match=f"2026年已开展年度评议（流程实例 #{first.id}）"):
        service.start("annual_start", org_tree.branch_a.id)
    assert session.scalars(select(ProcessInstance.id)).all() == [first.id]
    assert session.scalar(select(func.count(AuditEvent.seq))) == events_before
    assert service.start("annual_start", org_tree.branch_b.id).organization_id == org_tree.branch_b.id  # another branch


def test_the_year_turns_at_midnight_in_beijing(session, service, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    service.start("annual_start", org_tree.branch_a.id)
    clock.set(datetime(2026, 12, 31, 16, 0))  # 00:00 on 1 January 2027 in Beijing
    assert service.start("annual_start", org_tree.branch_a.id).status == InstanceStatus.RUNNING


def test_a_cancelled_instance_leaves_the_year_free(session, service, clock, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    first = service.start("annual_start", org_tree.branch_a.id)
    service.cancel(first.id, actor_id=None, reason="启动错误")
    assert service.start("annual_start", org_tree.branch_a.id).id != first.id


def test_deploy_refuses_a_period_the_engine_does_not_know(session, clock):
    monthly = read_fixture("annual_start.bpmn").replace(b'value="year"', b'value="month"')
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, {"annual_start.bpmn": monthly}, clock=clock)
    (problem,) = refused.value.problems
    assert (problem.code, problem.element_id) == ("bad_property", "every_october")
    assert "once_per" in problem.message and "month" in problem.message
