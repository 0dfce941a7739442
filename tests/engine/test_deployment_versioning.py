"""Versioned deployment: new content is version n+1, identical content is the same version, and a
running instance finishes on the version it started on."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.deployment import deploy
from engine.errors import DeploymentRefused
from engine.models import AuditEvent, ProcessDefinition, TaskStatus, UserTask
from tests.engine.conftest import read_fixture

ORIGINAL = read_fixture("review_loop.bpmn")
RENAMED_APPROVAL = ORIGINAL.replace('name="审批"'.encode(), 'name="终审"'.encode())


def test_identical_content_is_the_same_version(session, clock):
    first = deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock)
    again = deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock)
    assert (first.created, again.created) == (True, False)
    assert again.definition.id == first.definition.id and again.definition.version == 1
    assert session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.version == 2)) is None


def test_changed_content_is_the_next_version_and_keeps_the_bytes(session, clock):
    deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock)
    second = deploy(session, {"review_loop.bpmn": RENAMED_APPROVAL}, clock=clock)
    assert second.created and second.definition.version == 2
    assert second.definition.files[0].content == RENAMED_APPROVAL
    deployed = [e.after for e in session.scalars(select(AuditEvent).where(AuditEvent.event_type == "definition.deployed"))]
    assert [(e["key"], e["version"]) for e in deployed] == [("review_loop", 1), ("review_loop", 2)]


def test_running_instance_stays_on_its_version(session, service, clock, org_tree, people):
    deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock)
    old = service.start("review_loop", org_tree.branch_a.id)
    deploy(session, {"review_loop.bpmn": RENAMED_APPROVAL}, clock=clock)
    new = service.start("review_loop", org_tree.branch_a.id)
    assert (old.definition.version, new.definition.version) == (1, 2)

    for instance in (old, new):
        for data in ({"title": "t"}, {"outcome": "pass"}):
            task = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN)).one()
            service.complete_task(task.id, data, actor_id=people["secretary"].id)
    names = {
        instance.id: session.scalars(
            select(UserTask.name).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN)
        ).one()
        for instance in (old, new)
    }
    assert names == {old.id: "审批", new.id: "终审"}


def test_start_can_pin_an_older_version(session, service, clock, org_tree):
    deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock)
    deploy(session, {"review_loop.bpmn": RENAMED_APPROVAL}, clock=clock)
    assert service.start("review_loop", org_tree.branch_a.id, version=1).definition.version == 1


def test_unknown_lane_role_is_refused_at_deploy_time(session, clock):
    bad = ORIGINAL.replace(b'name="drafter"', "name=\"宣传委员会\"".encode())
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, {"review_loop.bpmn": bad}, clock=clock)
    problem = refused.value.problems[0]
    assert (problem.code, problem.element_id) == ("unknown_role", "draft")
    assert session.scalar(select(ProcessDefinition.id)) is None
