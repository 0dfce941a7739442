"""Start, complete, claim, delegate, cancel, suspend and resume, as a caller of the service sees them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.spec_cache import SpecCache
from engine.errors import Conflict, InvalidCommand, NotFound, SubmissionRejected
from engine.instances.service import InstanceService
from engine.models import AuditEvent, InstanceStatus, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture


@pytest.fixture
def review_process(session, clock):  # type: ignore[no-untyped-def]
    return deploy_fixture(session, clock, "review_loop.bpmn").definition


def open_tasks(session: Session, instance_id: int) -> list[UserTask]:
    return list(session.scalars(select(UserTask).where(UserTask.instance_id == instance_id, UserTask.status == TaskStatus.OPEN)))


def only_open_task(session: Session, instance_id: int) -> UserTask:
    tasks = open_tasks(session, instance_id)
    assert len(tasks) == 1, [t.element_id for t in tasks]
    return tasks[0]


def test_start_projects_first_user_task_with_bpmn_properties(session, service, org_tree, people, review_process):
    instance = service.start(
        "review_loop",
        org_tree.branch_a.id,
        business_key="GK-2026-001",
        data={"title": "党费收缴情况"},
        actor_id=people["drafter"].id,
    )
    assert instance.status == InstanceStatus.RUNNING
    task = only_open_task(session, instance.id)
    assert (task.element_id, task.name, task.candidate_role) == ("draft", "起草", "drafter")
    assert task.candidate_organization_id == org_tree.branch_a.id
    assert (task.form_key, task.priority) == ("review_draft", 60)


def test_lane_title_and_parent_scope_choose_candidates(session, service, org_tree, people, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    service.complete_task(only_open_task(session, instance.id).id, {"title": "t"}, actor_id=people["drafter"].id)
    review = only_open_task(session, instance.id)
    assert review.candidate_role == "branch_secretary"  # from the lane named 支部书记
    assert review.due_rule == "3 working days"
    service.complete_task(review.id, {"outcome": "pass"}, actor_id=people["secretary"].id)
    approve = only_open_task(session, instance.id)
    assert approve.candidate_role == "committee_member"
    assert approve.candidate_organization_id == org_tree.committee.id


def test_revision_loop_runs_to_the_end_and_keeps_finished_tasks(session, service, clock, org_tree, people, review_process):
    drafter, secretary, committee = people["drafter"], people["secretary"], people["committee"]
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=drafter.id)
    for round_number in range(3):
        service.complete_task(only_open_task(session, instance.id).id, {"title": f"v{round_number}"}, actor_id=drafter.id)
        service.complete_task(only_open_task(session, instance.id).id, {"outcome": "return"}, actor_id=secretary.id)
    service.complete_task(only_open_task(session, instance.id).id, {"title": "final"}, actor_id=drafter.id)
    service.complete_task(only_open_task(session, instance.id).id, {"outcome": "pass"}, actor_id=secretary.id)
    clock.advance(__import__("datetime").timedelta(hours=1))
    final = service.complete_task(only_open_task(session, instance.id).id, {"approved": True}, actor_id=committee.id)

    assert final.status == InstanceStatus.COMPLETED and final.ended_at == clock.now()
    finished = session.scalars(
        select(UserTask).where(UserTask.instance_id == instance.id).order_by(UserTask.completed_at, UserTask.created_at)
    ).all()
    assert [t.element_id for t in finished].count("draft") == 4
    assert all(t.status == TaskStatus.COMPLETED for t in finished)
    last = finished[-1]
    assert (last.element_id, last.completed_by_id, last.completion_data) == ("approve", committee.id, {"approved": True})


def test_decimal_and_dates_survive_save_and_restore(session, service, org_tree, people, review_process):
    from datetime import date

    instance = service.start("review_loop", org_tree.branch_a.id, data={"publish_on": date(2026, 2, 28)}, actor_id=people["drafter"].id)
    service.complete_task(only_open_task(session, instance.id).id, {"title": "t", "amount": "0.10"}, actor_id=people["drafter"].id)
    workflow = service._restore(instance)
    data = workflow.get_tasks(state=16)[0].data  # READY
    assert data["fee"] == Decimal("12.50") and data["amount"] == Decimal("0.10")
    assert data["publish_on"] == date(2026, 2, 28) and data["rounds"] == 1


def test_a_submission_failing_its_form_is_rejected_and_changes_nothing(session, service, org_tree, people, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    task = only_open_task(session, instance.id)
    version, events = instance.version, session.query(AuditEvent).count()
    with pytest.raises(SubmissionRejected) as rejected:
        service.complete_task(task.id, {"amount": "lots", "extra": 1}, actor_id=people["drafter"].id)
    assert set(rejected.value.errors) >= {"title", "amount", "_schema"}  # "_schema": the unknown field
    session.expire_all()
    assert only_open_task(session, instance.id).id == task.id
    assert instance.version == version and session.query(AuditEvent).count() == events


def test_completing_a_finished_task_is_a_conflict_and_changes_nothing(session, service, org_tree, people, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    task = only_open_task(session, instance.id)
    service.complete_task(task.id, {"title": "t"}, actor_id=people["drafter"].id)
    version, events = instance.version, session.query(AuditEvent).count()
    with pytest.raises(Conflict, match="已完成"):
        service.complete_task(task.id, {"title": "again"}, actor_id=people["drafter"].id)
    session.expire_all()
    assert instance.version == version and session.query(AuditEvent).count() == events


def test_stale_expected_version_is_a_conflict(session, service, org_tree, people, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    stale = instance.version
    service.claim(only_open_task(session, instance.id).id, actor_id=people["drafter"].id)
    with pytest.raises(Conflict, match="version"):
        service.complete_task(only_open_task(session, instance.id).id, {}, actor_id=people["drafter"].id, expected_version=stale)


def test_claim_unclaim_delegate(session, service, org_tree, people, review_process):
    drafter, member = people["drafter"], people["member1"]
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=drafter.id)
    task = only_open_task(session, instance.id)
    assert service.claim(task.id, actor_id=drafter.id).assignee_id == drafter.id
    with pytest.raises(Conflict, match="认领"):
        service.claim(task.id, actor_id=member.id)
    with pytest.raises(Conflict, match="认领"):
        service.complete_task(task.id, {}, actor_id=member.id)
    assert service.delegate(task.id, member.id, actor_id=drafter.id).assignee_id == member.id
    assert service.unclaim(task.id, actor_id=member.id).assignee_id is None
    with pytest.raises(InvalidCommand):
        service.unclaim(task.id, actor_id=member.id)
    with pytest.raises(NotFound):
        service.delegate(task.id, 999_999, actor_id=drafter.id)
    types = [e.event_type for e in session.scalars(select(AuditEvent).where(AuditEvent.task_id == task.id).order_by(AuditEvent.seq))]
    assert types == ["task.created", "task.claimed", "task.delegated", "task.unclaimed"]


def test_suspend_blocks_work_until_resumed(session, service, org_tree, people, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    task = only_open_task(session, instance.id)
    service.suspend(instance.id, actor_id=people["secretary"].id)
    with pytest.raises(InvalidCommand, match="挂起"):
        service.complete_task(task.id, {}, actor_id=people["drafter"].id)
    with pytest.raises(InvalidCommand):
        service.suspend(instance.id, actor_id=people["secretary"].id)
    assert service.resume(instance.id, actor_id=people["secretary"].id).status == InstanceStatus.RUNNING
    service.complete_task(task.id, {"title": "t"}, actor_id=people["drafter"].id)
    assert only_open_task(session, instance.id).element_id == "review"


def test_cancel_closes_open_tasks_and_refuses_further_work(session, service, org_tree, people, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)
    task = only_open_task(session, instance.id)
    cancelled = service.cancel(instance.id, actor_id=people["secretary"].id, reason="撤回")
    assert cancelled.status == InstanceStatus.CANCELLED
    session.refresh(task)
    assert task.status == TaskStatus.CANCELLED
    with pytest.raises(Conflict):
        service.complete_task(task.id, {}, actor_id=people["drafter"].id)
    with pytest.raises(Conflict):
        service.cancel(instance.id, actor_id=people["secretary"].id)


def test_unknown_process_organisation_and_task_are_not_found(session, service, org_tree, review_process):
    with pytest.raises(NotFound):
        service.start("no_such_process", org_tree.branch_a.id)
    with pytest.raises(NotFound):
        service.start("review_loop", 424242)
    with pytest.raises(NotFound):
        service.complete_task("00000000-0000-0000-0000-000000000000", {}, actor_id=None)
    assert session.query(AuditEvent).count() == 1  # only the deployment


def test_instance_state_holds_no_spec(session, service, org_tree, review_process):
    instance = service.start("review_loop", org_tree.branch_a.id)
    assert '"spec"' not in instance.state_json and "task_specs" not in instance.state_json
    assert instance.serializer_version


def test_a_fresh_service_restores_from_the_database(session_factory, clock, org_tree, people, review_process):
    with session_factory() as first:
        instance_id = InstanceService(first, clock=clock, specs=SpecCache()).start("review_loop", org_tree.branch_a.id).id
    with session_factory() as second:
        service = InstanceService(second, clock=clock, specs=SpecCache())
        task = only_open_task(second, instance_id)
        service.complete_task(task.id, {"title": "t"}, actor_id=people["drafter"].id)
        assert only_open_task(second, instance_id).element_id == "review"
