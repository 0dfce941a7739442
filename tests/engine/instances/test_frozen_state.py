"""States saved by earlier releases must still restore and run (SpiffWorkflow migrates its own
serialization; our converters for Decimal and date must stay readable)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.task import TaskState

from engine.instances.execution import reached_end_event
from engine.instances.serialization import state_from_json
from engine.scripting.sandbox import SandboxedScriptEngine
from tests.helpers.paths import FIXTURES

FROZEN = sorted((FIXTURES / "frozen").glob("review_loop_serializer_*.json"))


def review_loop_specs():  # type: ignore[no-untyped-def]
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(FIXTURES / "review_loop.bpmn"))
    return parser.get_spec("review_loop"), parser.get_subprocess_specs("review_loop")


@pytest.mark.parametrize("frozen", FROZEN, ids=lambda p: p.stem)
def test_frozen_state_restores_and_runs_to_the_end(frozen):
    workflow = state_from_json(frozen.read_text(), review_loop_specs())
    workflow.script_engine = SandboxedScriptEngine()
    review = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert [t.task_spec.name for t in review] == ["review"]
    data = review[0].data
    assert data["amount"] == Decimal("1234.50") and data["publish_on"] == date(2026, 4, 1) and data["rounds"] == 1
    for submission in ({"outcome": "pass"}, {"approved": True}):
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(**submission)
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed() and reached_end_event(workflow)


def test_there_is_a_frozen_state_to_check():
    assert FROZEN, "tests/engine/fixtures/frozen/ must hold at least one saved state"
