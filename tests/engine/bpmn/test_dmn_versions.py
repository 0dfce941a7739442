"""DMN 1.2 files load and run: the schema SpiffWorkflow bundles for DMN 1.2 does not compile, which
is the engine's to handle, not the file's fault; the model part of the file is still validated."""

from __future__ import annotations

import json
import re

import pytest
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
from sqlalchemy import select

from engine.bpmn.dmn_schemas import dmn_schema
from engine.definitions.deployment import deploy
from engine.errors import DeploymentRefused
from engine.models import Incident, InstanceStatus
from tests.helpers.deploying import read_fixture

DMN12 = "http://www.omg.org/spec/DMN/20180521/MODEL/"


def package(dmn: bytes) -> dict[str, bytes]:
    return {"dues_band.bpmn": read_fixture("conformance/dues_band.bpmn"), "dues_band.dmn": dmn}


@pytest.mark.parametrize("namespace", sorted(SCHEMAS))
def test_every_bundled_dmn_version_has_a_usable_schema(namespace):
    assert dmn_schema(namespace) is not None


@pytest.mark.parametrize(("income", "rate"), [(2800, 0.5), (4200, 1), (9000, 1.5)])
def test_a_dmn_1_2_decision_deploys_and_runs(session, service, clock, org_tree, income, rate):
    deploy(session, package(read_fixture("conformance/dues_band.dmn")), clock=clock)
    instance = service.start("dues_band_process", org_tree.branch_a.id, data={"income": income})
    assert instance.status == InstanceStatus.COMPLETED
    assert json.loads(instance.state_json)["data"]["rate"] == rate


def test_a_dmn_1_2_file_breaking_its_schema_is_refused_at_the_line(session, clock):
    broken = (
        read_fixture("conformance/dues_band.dmn")
        .replace(b"<decisionTable ", b"<decisionTabel ")
        .replace(b"</decisionTable>", b"</decisionTabel>")
    )
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, package(broken), clock=clock)
    problem = refused.value.problems[0]
    assert problem.file == "dues_band.dmn" and problem.line == 7 and "decisionTabel" in problem.message


def test_a_decision_no_rule_matches_stops_the_instance_naming_the_table(session, service, clock, org_tree):
    without_high_band = re.sub(rb'<rule id="rule_high">.*?</rule>', b"", read_fixture("conformance/dues_band.dmn"), flags=re.DOTALL)
    deploy(session, package(without_high_band), clock=clock)

    instance = service.start("dues_band_process", org_tree.branch_a.id, data={"income": 9000})

    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.code == "decision_no_match" and "income" in incident.message and "9000" not in incident.message
    assert incident.element_id == "decide"


def test_a_decision_a_rule_matches_is_not_an_incident(session, service, clock, org_tree):
    deploy(session, package(read_fixture("conformance/dues_band.dmn")), clock=clock)
    assert service.start("dues_band_process", org_tree.branch_a.id, data={"income": 5000}).status == InstanceStatus.COMPLETED
