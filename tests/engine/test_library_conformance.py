"""Conformance with SpiffWorkflow itself: files from the library's own test suite run through the
engine and through the bare library with the same start data and the same submissions. Where the
engine runs a file, both must end alike (same end event, same workflow data, or the same kind of
failure); where it refuses one, the refusal is the expected structured problem. No file may make a
command raise: every failure is a refusal or an incident. The expected outcome of each file is in
tests/data/corpus/spiffworkflow/cases.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.task import TaskState
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.errors import DeploymentRefused, EngineError
from engine.models import Incident, ProcessInstance, TaskStatus, UserTask
from tests.helpers.paths import CORPUS_DIR

SUITE = CORPUS_DIR / "spiffworkflow"
MAX_OPEN_TASK_ROUNDS = 20  # "complete_open_tasks": each person's task, in the order of their ids, with nothing entered
CASES: list[dict[str, Any]] = json.loads((SUITE / "cases.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Ending:
    outcome: str  # completed | waiting | incident | refused
    detail: str | None = None  # the end event, the incident or refusal code
    data: dict[str, Any] | None = None


def _library_run(case: dict[str, Any]) -> Ending:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(SUITE / case["file"]))
    process = case["process"]
    if process in parser.collaborations:
        spec, subprocesses = parser.get_collaboration(process)
    else:
        spec, subprocesses = parser.get_spec(process), parser.get_subprocess_specs(process)
    workflow = BpmnWorkflow(spec, subprocesses)
    workflow.task_tree.data.update(case.get("start", {}))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(case.get("start", {}))
    try:
        workflow.do_engine_steps()
        for submission in case.get("submissions", []):
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == submission["task"]]
            task.data.update(submission["data"])
            task.run()
            workflow.refresh_timers()
            workflow.do_engine_steps()
        for _ in range(MAX_OPEN_TASK_ROUNDS if case.get("complete_open_tasks") else 0):
            ready = sorted(workflow.get_tasks(state=TaskState.READY, manual=True), key=lambda t: t.task_spec.name)
            if not ready:
                break
            ready[0].run()
            workflow.refresh_timers()
            workflow.do_engine_steps()
    except Exception as error:  # the library's raw failure is what the engine must turn into an incident
        return Ending("incident", repr(error))
    if not workflow.is_completed():
        return Ending("waiting")
    ends = [t for t in workflow.tasks.values() if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)]
    if not any(isinstance(spec, EndEvent) for spec in workflow.spec.task_specs.values()):  # a collaboration: its pools' ends
        ends = [
            t
            for pool in workflow.subprocesses.values()
            for t in pool.tasks.values()
            if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)
        ]
    last = max(ends, key=lambda t: t.last_state_change).task_spec.name if ends else None
    return Ending("completed", last, dict(workflow.data))


def _engine_run(case: dict[str, Any], session, service, clock, organization_id: int) -> Ending:  # type: ignore[no-untyped-def]
    try:
        deployment = deploy(session, {case["file"]: (SUITE / case["file"]).read_bytes()}, clock=clock, process_key=case["process"])
    except DeploymentRefused as refused:
        return Ending("refused", ",".join(sorted({problem.code for problem in refused.problems})))
    instance = service.start(deployment.definition.key, organization_id, data=case.get("start", {}))
    for submission in case.get("submissions", []):
        if session.get(ProcessInstance, instance.id).status.value == "incident":
            break
        [row] = session.scalars(
            select(UserTask).where(
                UserTask.instance_id == instance.id, UserTask.element_id == submission["task"], UserTask.status == TaskStatus.OPEN
            )
        )
        service.complete_task(row.id, submission["data"], actor_id=None)
    for _ in range(MAX_OPEN_TASK_ROUNDS if case.get("complete_open_tasks") else 0):
        if session.get(ProcessInstance, instance.id).status.value == "incident":
            break
        open_rows = session.scalars(
            select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN).order_by(UserTask.element_id)
        ).all()
        if not open_rows:
            break
        service.complete_task(open_rows[0].id, {}, actor_id=None)
    session.commit()
    finished = session.get(ProcessInstance, instance.id)
    if finished.status.value == "incident":
        incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).first()
        return Ending("incident", incident.code)
    if finished.status.value != "completed":
        return Ending("waiting")
    return Ending("completed", finished.end_event_id, json.loads(finished.state_json)["data"])


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_the_engine_ends_each_file_as_expected_and_as_the_library_does(case, session, service, clock, org_tree):
    expected = case["expect"]
    try:
        engine = _engine_run(case, session, service, clock, org_tree.branch_a.id)
    except EngineError as error:  # a structured refusal of a command is an answer; anything else fails the test
        pytest.fail(f"a command was refused where the case expects {expected}: {error}")

    assert (engine.outcome, engine.detail) == (expected["outcome"], expected.get("detail")), engine
    if engine.outcome == "refused":
        return
    library = _library_run(case)
    assert library.outcome == engine.outcome, library
    if engine.outcome == "completed":
        assert library.detail == engine.detail
        assert json.loads(json.dumps(library.data, default=str)) == engine.data
        for name, value in expected.get("data", {}).items():
            assert engine.data[name] == value
