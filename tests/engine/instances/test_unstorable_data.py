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
from engine.models import Incident, InstanceStatus, UserTask
from tests.helpers.paths import FIXTURES

TEMPLATE = (FIXTURES / "sandbox" / "script_then_review.bpmn").read_text(encoding="utf-8")


def package(script: str, later: str = "done = True") -> dict[str, bytes]:
    bpmn = TEMPLATE.replace("SCRIPT_UNDER_TEST", escape(script)).replace("LATER_SCRIPT", escape(later))
    return {"script_then_review.bpmn": bpmn.encode("utf-8")}


def nested(depth: int) -> str:
    return f"built = []\nfor level in range({depth}):\n    built = [built]"


UNSTORABLE = {
    # 2000 levels: json.dumps runs out of stack, the command failed with a 500.
    "nested-2000": (nested(2000), "built", "64"),
    # 600 levels: the state was saved, but no later command could restore it.
    "nested-600": (nested(600), "built", "64"),
    "integer-5000-digits": ("built = 10 ** 5000", "built", "整数"),
    "not-a-number": ("built = float('nan')", "built", "NaN"),
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
    assert incident.code == "data_unstorable" and incident.element_id == "run_script"
    assert variable in incident.message and said in incident.message and "(" in incident.message
    restored = service._restore(instance)  # the saved state loads again
    review = next(t for t in restored.get_tasks() if t.task_spec.name == "review")
    assert variable not in review.data and review.data["kept"] == "fine"


def test_a_value_that_contains_itself_is_an_incident(session, service, clock, org_tree):
    deploy(session, package("loop = []\nloop.append(loop)"), clock=clock)
    instance = service.start("sandbox_script_review", org_tree.branch_a.id)
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "data_unstorable" and "loop" in incident.message


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
    deploy(session, package(nested(60) + "\nwhen = Decimal('1.50')\nflags = {1, 2}"), clock=clock)
    instance = service.start("sandbox_script_review", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.RUNNING
    state = state_from_json(instance.state_json, service.specs.get(session, instance.definition_id))
    review = next(t for t in state.get_tasks() if t.task_spec.name == "review")
    depth, value = 0, review.data["built"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 60 and str(review.data["when"]) == "1.50"
