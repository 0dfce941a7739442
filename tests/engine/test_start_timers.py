"""Timer start events of deployed processes: scheduled at deploy time, one instance per branch at
each occurrence, the next occurrence scheduled, and a newer version taking over the schedule."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.deployment import deploy
from engine.models import InstanceStatus, ProcessInstance, TaskStatus, Timer, TimerKind, TimerState, UserTask
from engine.timer_delivery import fire_due_timers
from tests.engine.conftest import deploy_fixture, read_fixture

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
    assert [outcome for _, outcome in fire_due_timers(session_factory, clock)] == ["fired"]
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
    assert fire_due_timers(session_factory, clock) == []  # nothing twice


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
