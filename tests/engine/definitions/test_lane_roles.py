"""Models from other tools name lanes for jobs: a lane that declares the role it stands for offers
its tasks to that role; one that does not is refused, and the refusal lists the roles to choose."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.errors import DeploymentRefused
from engine.models import TaskStatus, UserTask
from tests.helpers.deploying import read_fixture

APPROVER_MAPPED = b"""<bpmn:lane id="lane_approver" name="Approver">
        <bpmn:extensionElements><spiffworkflow:properties>
          <spiffworkflow:property name="candidate_role" value="branch_secretary"/>
        </spiffworkflow:properties></bpmn:extensionElements>"""


def package(mapped: bool) -> dict[str, bytes]:
    bpmn = read_fixture("conformance/job_lanes.bpmn")
    if mapped:
        bpmn = bpmn.replace(b'<bpmn:lane id="lane_approver" name="Approver">', APPROVER_MAPPED)
    return {"job_lanes.bpmn": bpmn}


def test_a_lane_named_for_a_job_without_a_role_is_refused_listing_the_roles(session, clock):
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, package(mapped=False), clock=clock)
    [problem] = refused.value.problems
    assert (problem.code, problem.element_id) == ("unknown_role", "approve")
    assert "Approver" in problem.message and "candidate_role" in problem.message
    assert "支部书记（branch_secretary）" in problem.message


def test_lanes_declaring_their_role_offer_tasks_to_it(session, service, clock, org_tree, people):
    deploy(session, package(mapped=True), clock=clock)
    instance = service.start("job_lanes", org_tree.branch_a.id)
    write = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()
    assert (write.element_id, write.candidate_role, write.lane) == ("write", "drafter", "Author")
    service.complete_task(write.id, {}, actor_id=people["drafter"].id)
    approve = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN)).one()
    assert (approve.element_id, approve.candidate_role) == ("approve", "branch_secretary")
