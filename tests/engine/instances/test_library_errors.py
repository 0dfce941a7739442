"""What SpiffWorkflow refuses while a person completes a task (a declared data output left out, a
post-script that fails on the submission) reaches the caller as a refusal naming the step and what
it needs, the task stays open and nothing is stored; it is never the library's raw exception."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.errors import TaskRefused
from engine.models import AuditEvent, InstanceStatus, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture
from tests.helpers.paths import CORPUS_DIR


def open_task(session, element_id: str) -> UserTask:  # type: ignore[no-untyped-def]
    return session.scalars(select(UserTask).where(UserTask.element_id == element_id, UserTask.status == TaskStatus.OPEN)).one()


def events(session) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent.event_type).order_by(AuditEvent.seq)))


@pytest.fixture
def instance(session, service, clock, org_tree):  # type: ignore[no-untyped-def]
    deploy_fixture(session, clock, "conformance/task_outputs.bpmn")
    started = service.start("task_outputs", org_tree.branch_a.id)
    session.commit()
    return started


def test_a_missing_data_output_is_refused_naming_it(session, service, instance):
    task = open_task(session, "declare")
    before = events(session)
    with pytest.raises(TaskRefused) as refused:
        service.complete_task(task.id, {"note": "忘了填决定"}, actor_id=None)
    session.rollback()
    assert refused.value.element_id == "declare"
    assert "decision" in refused.value.message and "填写决定" in refused.value.message
    assert open_task(session, "declare").id == task.id
    assert events(session) == before
    assert session.get(type(instance), instance.id).status == InstanceStatus.RUNNING


def test_the_task_completes_once_the_output_is_given(session, service, instance):
    service.complete_task(open_task(session, "declare").id, {"decision": "同意"}, actor_id=None)
    session.commit()
    assert open_task(session, "compute").name == "核算"


def test_a_failing_post_script_is_refused_and_the_task_stays_open(session, service, instance):
    service.complete_task(open_task(session, "declare").id, {"decision": "同意"}, actor_id=None)
    session.commit()
    task = open_task(session, "compute")
    with pytest.raises(TaskRefused) as refused:
        service.complete_task(task.id, {"note": "没有金额"}, actor_id=None)
    session.rollback()
    assert refused.value.element_id == "compute"
    assert "amount" in refused.value.message and "Traceback" not in refused.value.message
    assert open_task(session, "compute").id == task.id

    service.complete_task(task.id, {"amount": 21}, actor_id=None)
    session.commit()
    finished = session.get(type(instance), instance.id)
    assert finished.status == InstanceStatus.COMPLETED and '"total": 42' in finished.state_json


def test_an_error_the_library_lets_out_unwrapped_is_a_refusal_when_completing(session, service, clock, org_tree):
    # SpiffWorkflow's own receive_correlations.bpmn: the catch event after the task reads value_1
    # for its correlation while the task is completed, outside the library's error wrapping.
    path = CORPUS_DIR / "spiffworkflow" / "spiff__receive_correlations.bpmn"
    deploy(session, {path.name: path.read_bytes()}, clock=clock, process_key="correlation-test")
    started = service.start("correlation-test", org_tree.branch_a.id)
    [task] = session.scalars(select(UserTask).where(UserTask.instance_id == started.id, UserTask.status == TaskStatus.OPEN))

    with pytest.raises(TaskRefused) as refused:
        service.complete_task(task.id, {}, actor_id=None)
    assert "value_1" in str(refused.value) and refused.value.element_id == task.element_id
    assert session.get(UserTask, task.id).status == TaskStatus.OPEN

    service.complete_task(task.id, {"value_1": "a", "value_2": "b"}, actor_id=None)
    assert session.get(UserTask, task.id).status == TaskStatus.COMPLETED
