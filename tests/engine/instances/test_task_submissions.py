"""A submission lands where the spiff flavour puts it: under the task's `variableName` when it
declares one, otherwise merged into the task data so that nested values it does not mention are
kept (a list given replaces the old one: a revised answer is the whole answer)."""

from __future__ import annotations

import json

from sqlalchemy import select

from engine.instances.submissions import store_submission
from engine.models import InstanceStatus, ProcessInstance, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture

PLAN = {"plan": {"title": "三月党费公示", "channels": ["公开栏", "内部网络"], "contact": {"name": "王芳"}}}


def open_task(session, element_id: str) -> UserTask:  # type: ignore[no-untyped-def]
    return session.scalars(select(UserTask).where(UserTask.element_id == element_id, UserTask.status == TaskStatus.OPEN)).one()


def test_variable_name_and_nested_merge(session, service, clock, org_tree):
    deploy_fixture(session, clock, "conformance/named_answers.bpmn")
    instance = service.start("named_answers", org_tree.branch_a.id, data=PLAN)
    service.complete_task(open_task(session, "survey").id, {"agree": "是", "reason": "按期"}, actor_id=None)
    revision = {"plan": {"channels": ["新媒体"], "contact": {"phone": "010-1234"}}}
    service.complete_task(open_task(session, "revise").id, revision, actor_id=None)
    session.commit()

    finished = session.get(ProcessInstance, instance.id)
    assert finished.status == InstanceStatus.COMPLETED
    data = json.loads(finished.state_json)["data"]
    assert data["answers"] == {"agree": "是", "reason": "按期"} and "agree" not in data
    assert data["plan"] == {"title": "三月党费公示", "channels": ["新媒体"], "contact": {"name": "王芳", "phone": "010-1234"}}


def test_merging_leaves_the_earlier_task_data_as_it_was(session, service, clock, org_tree):
    deploy_fixture(session, clock, "conformance/named_answers.bpmn")
    instance = service.start("named_answers", org_tree.branch_a.id, data=PLAN)
    service.complete_task(open_task(session, "survey").id, {}, actor_id=None)
    restored = service._restore(session.get(ProcessInstance, instance.id))
    revise = next(t for t in restored.get_tasks() if t.task_spec.name == "revise")
    store_submission(revise, {"plan": {"contact": {"phone": "010-1234"}}})
    survey = next(t for t in restored.get_tasks() if t.task_spec.name == "survey")
    assert survey.data["plan"]["contact"] == {"name": "王芳"}
    assert revise.data["plan"]["contact"] == {"name": "王芳", "phone": "010-1234"}
