"""A process that calls itself, directly or through another, can never finish: deploy refuses it
naming the chain, and one stored before that check stops at the nesting limit with an incident
instead of working for hours with the database locked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.bpmn import loading
from engine.errors import DeploymentRefused
from engine.instances.execution import MAX_NESTING_DEPTH
from engine.models import Incident, InstanceStatus, ProcessDefinition
from tests.helpers.deploying import deploy_fixture


def test_a_process_calling_itself_is_refused_at_deploy(session, clock):
    with pytest.raises(DeploymentRefused) as refused:
        deploy_fixture(session, clock, "conformance/self_calling.bpmn")
    [problem] = refused.value.problems
    assert (problem.code, problem.element_id, problem.file) == ("call_cycle", "again", "conformance/self_calling.bpmn")
    assert "self_calling → self_calling" in problem.message and problem.line is not None
    assert session.scalar(select(ProcessDefinition.id)) is None


def test_two_processes_calling_each_other_are_refused_with_the_chain(session, clock):
    with pytest.raises(DeploymentRefused) as refused:
        deploy_fixture(session, clock, "conformance/mutual_calls.bpmn")
    [problem] = [p for p in refused.value.problems if p.code == "call_cycle"]  # beside: which of the two to run
    assert problem.code == "call_cycle" and problem.element_id in ("call_ping", "call_pong")
    assert "ping → pong → ping" in problem.message or "pong → ping → pong" in problem.message


def test_a_call_cycle_that_reached_run_time_stops_at_the_nesting_limit(session, service, clock, org_tree, monkeypatch):
    monkeypatch.setattr(loading, "call_cycle_problems", lambda bpmn: [])  # as stored before the check existed
    deploy_fixture(session, clock, "conformance/self_calling.bpmn")
    instance = service.start("self_calling", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "nesting_limit" and str(MAX_NESTING_DEPTH) in incident.message
