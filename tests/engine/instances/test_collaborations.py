"""A collaboration (several pools joined by message flows, as Camunda Modeler and SpiffArena draw
them) deploys as one definition and runs all its pools in one instance; where a package holds
several runnable processes and no single collaboration joins them, the refusal names each pool."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.bpmn.loading import load_process_package
from engine.errors import DeploymentRefused
from engine.models import InstanceStatus, ProcessInstance, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture, read_fixture

TWO_POOLS = "conformance/two_pools.bpmn"


def test_a_collaboration_runs_its_pools_and_their_messages(session, service, clock, org_tree):
    deploy_fixture(session, clock, TWO_POOLS)
    instance = service.start("dues_exchange", org_tree.branch_a.id)
    fill = session.scalars(select(UserTask).where(UserTask.element_id == "fill_report", UserTask.status == TaskStatus.OPEN)).one()
    assert fill.name == "填写党费报表"

    service.complete_task(fill.id, {"amount": 1280}, actor_id=None)
    session.commit()

    finished = session.get(ProcessInstance, instance.id)
    assert finished.status == InstanceStatus.COMPLETED
    assert finished.end_event_id in ("branch_end", "committee_end")
    assert "1280" in finished.state_json  # the committee's pool received the branch's report


def test_one_pool_of_a_collaboration_can_be_chosen(session, clock):
    loaded = load_process_package({"two_pools.bpmn": read_fixture(TWO_POOLS)}, process_key="branch_side")
    assert loaded.process_key == "branch_side" and set(loaded.subprocess_specs) == set()


def test_pools_without_a_collaboration_joining_them_are_refused_by_name():
    text = read_fixture(TWO_POOLS).decode()
    second = text.replace('id="dues_exchange" name="党费收缴"', 'id="other_exchange" name="另一协作"')
    files = {"a.bpmn": read_fixture(TWO_POOLS), "b.bpmn": second.replace('id="branch_side"', 'id="branch_copy"').encode()}
    with pytest.raises(DeploymentRefused) as refused:
        load_process_package(files)
    [problem] = refused.value.problems
    assert problem.code == "ambiguous_process"
    assert "支部 (branch_side)" in problem.message and "党费收缴 (dues_exchange" in problem.message
