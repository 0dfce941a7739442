"""SpiffWorkflow stops a long gateway loop silently and calls the workflow complete; the engine
must notice and raise an incident instead. An endless loop is stopped by the step budget."""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import select

from engine.definitions.spec_cache import SpecCache
from engine.instances.execution import detect_silent_stop, reached_end_event
from engine.instances.service import InstanceService
from engine.models import AuditEvent, Incident, InstanceStatus
from tests.helpers.deploying import deploy_fixture
from tests.helpers.paths import FIXTURES


def bare_workflow(limit: int) -> BpmnWorkflow:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(FIXTURES / "counting_loop.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("counting_loop"))
    workflow.task_tree.data["limit"] = limit
    return workflow


def test_the_library_reports_a_300_iteration_loop_complete_without_reaching_the_end():
    workflow = bare_workflow(300)
    workflow.do_engine_steps()
    assert workflow.is_completed()  # what SpiffWorkflow claims
    assert not reached_end_event(workflow)  # what actually happened
    incident = detect_silent_stop(workflow)
    assert incident is not None and incident.code == "silent_stop"


def test_a_short_loop_completes_normally():
    workflow = bare_workflow(20)
    workflow.do_engine_steps()
    assert workflow.is_completed() and reached_end_event(workflow)
    assert detect_silent_stop(workflow) is None
    assert workflow.last_task.data["total"] == sum(range(21))


def test_engine_raises_an_incident_for_the_300_iteration_loop(session, service, clock, org_tree):
    deploy_fixture(session, clock, "counting_loop.bpmn")
    instance = service.start("counting_loop", org_tree.branch_a.id, data={"limit": 300})
    assert instance.status == InstanceStatus.INCIDENT and instance.ended_at is None
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "silent_stop" and "结束事件" in incident.message
    raised = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "incident.raised")).one()
    assert raised.instance_id == instance.id


def test_an_endless_loop_is_stopped_by_the_step_budget(session, clock, org_tree):
    deploy_fixture(session, clock, "counting_loop.bpmn")
    service = InstanceService(session, clock=clock, specs=SpecCache(), step_budget=200)
    instance = service.start("counting_loop", org_tree.branch_a.id, data={"limit": None})
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "loop_limit" and "200" in incident.message


def test_an_endless_loop_is_stopped_by_the_time_budget_before_the_step_budget(session, clock, org_tree):
    deploy_fixture(session, clock, "counting_loop.bpmn")
    service = InstanceService(session, clock=clock, specs=SpecCache(), step_budget=10**9, time_budget=0.3)
    instance = service.start("counting_loop", org_tree.branch_a.id, data={"limit": None})
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "time_limit" and "0.3 秒" in incident.message
