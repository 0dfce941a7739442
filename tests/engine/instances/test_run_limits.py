"""Run-time limits that no deploy check can settle, because they depend on the data: how many
instances a multi-instance activity creates, and how much data a task or a whole instance holds.
Crossing one stops the instance with an incident naming the limit, quickly; over a data limit
nothing of the oversized state is stored."""

from __future__ import annotations

import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.task import TaskState
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.instances.execution import MAX_INSTANCE_STATE_BYTES, MAX_LOOP_CARDINALITY, MAX_TASK_DATA_BYTES
from engine.instances.serialization import state_from_json
from engine.models import AuditEvent, Incident, InstanceStatus, ProcessInstance, TaskStatus, UserTask

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="limits_definitions" targetNamespace="http://example.org/limits">
  <bpmn:process id="limits" name="运行限制" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="FIRST"/>
    {steps}
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def script(element_id: str, source: str, then: str) -> str:
    return (
        f'<bpmn:scriptTask id="{element_id}" name="{element_id}"><bpmn:script>{escape(source)}</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:sequenceFlow id="after_{element_id}" sourceRef="{element_id}" targetRef="{then}"/>'
    )


def fill_in(then: str) -> str:
    return f'<bpmn:userTask id="fill_in" name="填写"/><bpmn:sequenceFlow id="after_fill_in" sourceRef="fill_in" targetRef="{then}"/>'


def each_by_count(then: str) -> str:
    return (
        '<bpmn:scriptTask id="each" name="逐一处理">'
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>count</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>handled = True</bpmn:script></bpmn:scriptTask>"
        f'<bpmn:sequenceFlow id="after_each" sourceRef="each" targetRef="{then}"/>'
    )


def each_member(then: str) -> str:
    return (
        '<bpmn:scriptTask id="each" name="逐一处理">'
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopDataInputRef>members</bpmn:loopDataInputRef>"
        '<bpmn:inputDataItem id="member" name="member"/></bpmn:multiInstanceLoopCharacteristics>'
        "<bpmn:script>handled = member</bpmn:script></bpmn:scriptTask>"
        f'<bpmn:sequenceFlow id="after_each" sourceRef="each" targetRef="{then}"/>'
    )


def deploy_steps(session, clock, first: str, *steps: str) -> None:  # type: ignore[no-untyped-def]
    bpmn = PROCESS.replace("FIRST", first).format(steps="\n    ".join(steps))
    deploy(session, {"limits.bpmn": bpmn.encode("utf-8")}, clock=clock)


def incident_of(session, instance: ProcessInstance) -> Incident:  # type: ignore[no-untyped-def]
    assert instance.status == InstanceStatus.INCIDENT
    return session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()


# -- multi-instance cardinality -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "data"), [(each_by_count, {"count": 4000}), (each_member, {"members": list(range(4000))})], ids=["cardinality", "collection"]
)
def test_too_many_instances_end_in_an_incident_naming_the_limit(session, service, clock, org_tree, steps, data):
    deploy_steps(session, clock, "each", steps("end"))

    started = time.monotonic()
    instance = service.start("limits", org_tree.branch_a.id, data=data)
    elapsed = time.monotonic() - started

    incident = incident_of(session, instance)
    assert incident.code == "cardinality_limit" and incident.element_id == "each"
    assert "4000" in incident.message and str(MAX_LOOP_CARDINALITY) in incident.message
    assert elapsed < 3, f"stopping took {elapsed:.1f} s"
    assert instance.state_json.count('"handled"') == 0  # no instance was created


@pytest.mark.parametrize(
    ("steps", "data"), [(each_by_count, {"count": 3}), (each_member, {"members": ["甲", "乙", "丙"]})], ids=["cardinality", "collection"]
)
def test_instances_within_the_limit_run(session, service, clock, org_tree, steps, data):
    deploy_steps(session, clock, "each", steps("end"))

    instance = service.start("limits", org_tree.branch_a.id, data=data)

    assert instance.status == InstanceStatus.COMPLETED


def test_too_many_instances_set_off_by_a_completed_task_end_in_an_incident(session, service, clock, org_tree, people):
    deploy_steps(session, clock, "fill_in", fill_in("each"), each_by_count("end"))
    instance = service.start("limits", org_tree.branch_a.id)
    task = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()

    service.complete_task(task.id, {"count": 10**7}, actor_id=people["secretary"].id)

    incident = incident_of(session, instance)
    assert incident.code == "cardinality_limit" and str(MAX_LOOP_CARDINALITY) in incident.message


# -- data size -------------------------------------------------------------------------------------

# 3 MB: within what an evaluator may hand back (8 MiB), over what a task may hold (1 MiB).
THREE_MB = 'chunk = "x" * 1000000\nblob = [chunk] * 3'


def stored_bytes(database_url: str) -> int:
    path = Path(database_url.removeprefix("sqlite:///"))
    return sum(file.stat().st_size for file in (path, path.with_name(path.name + "-wal")) if file.exists())


def test_a_script_building_3_mb_ends_in_an_incident_and_nothing_of_it_is_stored(session, service, clock, org_tree, database_url):
    deploy_steps(session, clock, "build", script("build", THREE_MB, "end"))
    before = stored_bytes(database_url) if database_url.startswith("sqlite") else 0

    started = time.monotonic()
    instance = service.start("limits", org_tree.branch_a.id, data={"title": "会议纪要"})
    elapsed = time.monotonic() - started

    incident = incident_of(session, instance)
    assert incident.code == "data_limit" and incident.element_id == "build"
    assert str(MAX_TASK_DATA_BYTES) in incident.message
    assert elapsed < 5, f"stopping took {elapsed:.1f} s"
    assert len(instance.state_json) < 100_000 and "xxxx" not in instance.state_json
    if database_url.startswith("sqlite"):
        assert stored_bytes(database_url) - before < 2_000_000
    kept = state_from_json(instance.state_json, service.specs.get(session, instance.definition_id))  # a real state
    assert kept.get_tasks(state=TaskState.READY) != []


def test_over_the_data_limit_after_a_task_the_previous_state_stays(session, service, clock, org_tree, people):
    deploy_steps(session, clock, "fill_in", fill_in("build"), script("build", THREE_MB, "end"))
    instance = service.start("limits", org_tree.branch_a.id)
    previous_state = instance.state_json
    task = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()

    service.complete_task(task.id, {"note": "已阅"}, actor_id=people["secretary"].id)

    assert incident_of(session, instance).code == "data_limit"
    assert instance.state_json == previous_state
    # The kept state has the task open, and so has the inbox: the completion is recorded as discarded.
    assert session.get(UserTask, task.id).status == TaskStatus.OPEN and session.get(UserTask, task.id).completed_by_id is None
    events = session.scalars(select(AuditEvent.event_type).where(AuditEvent.instance_id == instance.id)).all()
    assert "task.completion_discarded" in events and "task.completed" not in events


def test_an_instance_state_over_its_limit_ends_in_an_incident(session, service, clock, org_tree):
    # Ten parallel branches each hold 900 KB of their own: each task is within its limit, the state is not.
    branches = [
        script(f"build_{n}", f'blob = "{n}" * 900000', f"wait_{n}")
        + f'<bpmn:userTask id="wait_{n}" name="等待"/><bpmn:sequenceFlow id="joined_{n}" sourceRef="wait_{n}" targetRef="join"/>'
        + f'<bpmn:sequenceFlow id="to_{n}" sourceRef="fork" targetRef="build_{n}"/>'
        for n in range(10)
    ]
    fork = '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
    fork += '<bpmn:sequenceFlow id="to_end" sourceRef="join" targetRef="end"/>'
    deploy_steps(session, clock, "fork", fork, *branches)

    instance = service.start("limits", org_tree.branch_a.id)

    incident = incident_of(session, instance)
    assert incident.code == "data_limit" and str(MAX_INSTANCE_STATE_BYTES) in incident.message
    assert len(instance.state_json) < 100_000
    assert session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).all() == []


def test_deeply_nested_data_ends_in_an_incident(session, service, clock, org_tree):
    deploy_steps(session, clock, "build", script("build", "nested = []\nfor i in range(5000):\n    nested = [nested]", "end"))

    instance = service.start("limits", org_tree.branch_a.id)

    # The evaluator refuses to hand back data nested this deep, before the engine's own data check.
    incident = incident_of(session, instance)
    assert incident.code == "script_error" and "嵌套过深" in incident.message and incident.element_id == "build"
    assert "[[[[" not in instance.state_json
