"""Versioned deployment: new content is version n+1, identical content is the same version, and a
running instance finishes on the version it started on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.errors import DeploymentRefused
from engine.models import AuditEvent, ProcessDefinition, TaskStatus, UserTask
from tests.helpers.deploying import read_fixture

ORIGINAL = read_fixture("review_loop.bpmn")
RENAMED_APPROVAL = ORIGINAL.replace('name="审批"'.encode(), 'name="终审"'.encode())
FORM = read_fixture("review_draft.json")


def package(bpmn: bytes) -> dict[str, bytes]:
    return {"review_loop.bpmn": bpmn, "review_draft.json": FORM}


def test_identical_content_is_the_same_version(session, clock):
    first = deploy(session, package(ORIGINAL), clock=clock)
    again = deploy(session, package(ORIGINAL), clock=clock)
    assert (first.created, again.created) == (True, False)
    assert again.definition.id == first.definition.id and again.definition.version == 1
    assert session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.version == 2)) is None


def test_changed_content_is_the_next_version_and_keeps_the_bytes(session, clock):
    deploy(session, package(ORIGINAL), clock=clock)
    second = deploy(session, package(RENAMED_APPROVAL), clock=clock)
    assert second.created and second.definition.version == 2
    stored = {f.filename: f.content for f in second.definition.files}
    assert stored == {"review_loop.bpmn": RENAMED_APPROVAL, "review_draft.json": FORM}
    deployed = [e.after for e in session.scalars(select(AuditEvent).where(AuditEvent.event_type == "definition.deployed"))]
    assert [(e["key"], e["version"]) for e in deployed] == [("review_loop", 1), ("review_loop", 2)]


def test_running_instance_stays_on_its_version(session, service, clock, org_tree, people):
    deploy(session, package(ORIGINAL), clock=clock)
    old = service.start("review_loop", org_tree.branch_a.id)
    deploy(session, package(RENAMED_APPROVAL), clock=clock)
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
    deploy(session, package(ORIGINAL), clock=clock)
    deploy(session, package(RENAMED_APPROVAL), clock=clock)
    assert service.start("review_loop", org_tree.branch_a.id, version=1).definition.version == 1


def test_unknown_lane_role_is_refused_at_deploy_time(session, clock):
    bad = ORIGINAL.replace(b'name="drafter"', 'name="宣传委员会"'.encode())
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, package(bad), clock=clock)
    problem = refused.value.problems[0]
    assert (problem.code, problem.element_id) == ("unknown_role", "draft")
    assert session.scalar(select(ProcessDefinition.id)) is None


def test_a_form_from_the_library_is_stored_with_the_version(session, clock):
    library = {"review_draft": FORM}
    first = deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock, form_library=library)
    assert [f.filename for f in first.definition.files] == ["forms/review_draft.json", "review_loop.bpmn"]
    same = deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock, form_library=library)
    assert not same.created
    changed_form = FORM.replace("金额".encode(), "费用".encode())
    second = deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock, form_library={"review_draft": changed_form})
    assert second.created and second.definition.version == 2


def test_a_missing_form_or_service_is_refused(session, clock):
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, {"review_loop.bpmn": ORIGINAL}, clock=clock)
    assert [(p.code, p.element_id) for p in refused.value.problems] == [("missing_form", "draft")]
    broken_form = b'{"key": "review_draft", "title": "x", "type": "object", "properties": {"a": {"type": "tuple"}}}'
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, {"review_loop.bpmn": ORIGINAL, "review_draft.json": broken_form}, clock=clock)
    assert {p.code for p in refused.value.problems} >= {"form_invalid"}
    assert all(p.file for p in refused.value.problems)
    assert session.scalar(select(ProcessDefinition.id)) is None
