"""Scripts through the engine: escapes are refused when a process is deployed, and anything that
still goes wrong at run time (a definition stored by an older release, an endless loop) stops the
instance with a clear incident while the rest of the system keeps working."""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from engine.bpmn.loading import load_process_package
from engine.definitions.deployment import deploy
from engine.errors import DeploymentRefused
from engine.instances.serialization import SERIALIZER_VERSION, spec_to_json
from engine.models import Incident, InstanceStatus, ProcessDefinition
from tests.helpers.paths import FIXTURES

TEMPLATE = (FIXTURES / "sandbox" / "script_task.bpmn").read_text(encoding="utf-8")
ESCAPES = {
    "import": "import os\nresult = os.getcwd()",
    "open": "result = open('/etc/hostname').read()",
    "subclasses": "result = ().__class__.__base__.__subclasses__()",
}


def package(script: str) -> dict[str, bytes]:
    return {"script.bpmn": TEMPLATE.replace("SCRIPT_UNDER_TEST", escape(script)).encode("utf-8")}


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_escapes_are_refused_at_deploy_time(session, clock, script):
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, package(script), clock=clock)
    problem = refused.value.problems[0]
    assert (problem.code, problem.element_id, problem.file) == ("script_rejected", "run_script", "script.bpmn")
    assert "(" in problem.message and "Traceback" not in problem.message
    assert session.scalar(select(ProcessDefinition.id)) is None


def store_unchecked(session, clock, script: str) -> None:  # type: ignore[no-untyped-def]
    """A definition that bypassed the deploy checks, as one stored before they existed would."""
    loaded = load_process_package(package(script))
    session.add(
        ProcessDefinition(
            key=loaded.process_key,
            version=1,
            name=loaded.name,
            content_hash=script[:64].ljust(64, "-"),
            spec_json=spec_to_json(loaded.spec, loaded.subprocess_specs),
            serializer_version=SERIALIZER_VERSION,
            deployed_at=clock.now(),
        )
    )
    session.commit()


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_escape_that_reaches_run_time_is_an_incident(session, service, clock, org_tree, script):
    store_unchecked(session, clock, script)
    instance = service.start("sandbox_script", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "script_error" and incident.element_id == "run_script"
    assert "不允许" in incident.message or "不能" in incident.message, incident.message
    assert "result" not in instance.state_json  # nothing the script computed was kept


def test_an_endless_loop_is_stopped_and_the_service_still_serves(session, service, clock, org_tree):
    deploy(session, package("while True:\n    pass"), clock=clock)
    stuck = service.start("sandbox_script", org_tree.branch_a.id)
    assert stuck.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == stuck.id)).one()
    assert "超时" in incident.message and incident.element_id == "run_script"

    deploy(session, package("total = sum([Decimal('0.10')] * 3)\nlabel = f'{total}元'"), clock=clock)
    fine = service.start("sandbox_script", org_tree.branch_a.id)
    assert fine.status == InstanceStatus.COMPLETED
    assert '"label": "0.30\\u5143"' in fine.state_json or "0.30元" in fine.state_json
