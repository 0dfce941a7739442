"""A script that builds data the instance state cannot hold (nesting deep enough that the state
could never be loaded again, an integer too long to write, NaN, an object the serializer does not
know) stops its instance with an incident naming the variable. The command does not fail, and the
saved state loads again."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.instances.serialization import state_from_json
from engine.instances.storable_data import take_out_unstorable_data
from engine.models import Incident, InstanceStatus, UserTask
from tests.helpers.paths import FIXTURES

TEMPLATE = (FIXTURES / "sandbox" / "script_then_review.bpmn").read_text(encoding="utf-8")


def package(script: str, later: str = "done = True") -> dict[str, bytes]:
    bpmn = TEMPLATE.replace("SCRIPT_UNDER_TEST", escape(script)).replace("LATER_SCRIPT", escape(later))
    return {"script_then_review.bpmn": bpmn.encode("utf-8")}


def nested(depth: int) -> str:
    return f"built = []\nfor level in range({depth}):\n    built = [built]"


# What a script hands back is refused at the evaluator's boundary (engine/scripting/wire.py), naming
# the variable and the place; the engine's own check (storable_data.py) stands behind it for data
# from anywhere else, and is tested directly below.
UNSTORABLE = {
    # 2000 levels: json.dumps runs out of stack, the command failed with a 500.
    "nested-2000": (nested(2000), "built", "嵌套过深"),
    # 600 levels: the state was saved, but no later command could restore it.
    "nested-600": (nested(600), "built", "嵌套过深"),
    "integer-5000-digits": ("built = 10 ** 5000", "built", "整数过大"),
    "not-a-number": ("built = float('nan')", "built", "不是有限数"),
    "a-range": ("built = range(3)", "built", "range"),
    "bytes": ("built = b'raw'", "built", "bytes"),
}


@pytest.mark.parametrize("case", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_unstorable_data_after_a_script_is_an_incident(session, service, clock, org_tree, case):
    script, variable, said = case
    deploy(session, package(script + "\nkept = 'fine'"), clock=clock)
    instance = service.start("sandbox_script_review", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "script_error" and incident.element_id == "run_script"
    assert f"['{variable}']" in incident.message and said in incident.message
    restored = service._restore(instance)  # the saved state loads again, without what the script made
    assert all(variable not in task.data for task in restored.get_tasks())


@pytest.mark.parametrize(
    "value", [[[[]]] * 1, float("nan"), 10**5000, range(3), b"raw"], ids=["shallow-ok", "nan", "huge", "range", "bytes"]
)
def test_the_engine_takes_out_what_the_state_cannot_store_wherever_it_came_from(session, service, clock, org_tree, value):
    deploy(session, package("kept = 'fine'"), clock=clock)
    workflow = service._restore(service.start("sandbox_script_review", org_tree.branch_a.id))
    review = next(t for t in workflow.get_tasks() if t.task_spec.name == "review")
    review.data["built"] = value

    report = take_out_unstorable_data(workflow)

    if value == [[[]]]:
        assert report is None and review.data["built"] == [[[]]]
    else:
        assert report is not None and report.code == "data_unstorable" and "built" in report.message
        assert "built" not in review.data and review.data["kept"] == "fine"


def test_the_engine_takes_out_data_nested_beyond_what_it_can_restore(session, service, clock, org_tree):
    deploy(session, package("kept = 'fine'"), clock=clock)
    workflow = service._restore(service.start("sandbox_script_review", org_tree.branch_a.id))
    review = next(t for t in workflow.get_tasks() if t.task_spec.name == "review")
    deep: list = []
    for _ in range(600):
        deep = [deep]
    review.data["built"] = deep
    loop: list = []
    loop.append(loop)
    review.data["loop"] = loop

    report = take_out_unstorable_data(workflow)

    assert report is not None and report.code == "data_unstorable"
    assert "built" not in review.data and "loop" not in review.data and review.data["kept"] == "fine"


def test_a_value_that_contains_itself_is_an_incident(session, service, clock, org_tree):
    deploy(session, package("loop = []\nloop.append(loop)"), clock=clock)
    instance = service.start("sandbox_script_review", org_tree.branch_a.id)
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "script_error" and "['loop']" in incident.message


def test_a_later_step_making_unstorable_data_stops_the_instance_there(session, service, clock, org_tree, people):
    deploy(session, package("fine = [[1, 2], {'a': [3]}]", later=nested(2000)), clock=clock)
    instance = service.start("sandbox_script_review", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.RUNNING
    review = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id)).one()
    instance = service.complete_task(review.id, {}, actor_id=people["secretary"].id)
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.element_id == "later_script" and "built" in incident.message


def test_data_within_the_limits_is_kept_as_it_was(session, service, clock, org_tree):
    deploy(session, package(nested(60) + "\nwhen = Decimal('1.50')"), clock=clock)
    instance = service.start("sandbox_script_review", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.RUNNING
    state = state_from_json(instance.state_json, service.specs.get(session, instance.definition_id))
    review = next(t for t in state.get_tasks() if t.task_spec.name == "review")
    depth, value = 0, review.data["built"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 60 and str(review.data["when"]) == "1.50"
