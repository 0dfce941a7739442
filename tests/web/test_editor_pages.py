"""Process owners edit a deployed process in the browser: the diagram (laid out when the file has
none) loads into the editor, and the edited diagram deploys as the next version with the version's
decision tables and forms, or is refused with every problem named and nothing stored."""

from __future__ import annotations

import re

from lxml import etree
from sqlalchemy import select

from engine.bpmn.diagram_layout import BPMNDI
from engine.definitions.deployment import main_model_file
from engine.models import ProcessDefinition
from tests.helpers.browser import sign_in


def editor_token(client, key: str = "disclosure_review") -> str:  # type: ignore[no-untyped-def]
    page = client.get(f"/definitions/{key}/edit").get_data(as_text=True)
    match = re.search(r'data-csrf="([^"]+)"', page)
    assert match, page
    return match.group(1)


def versions(session) -> list[tuple[int, list[str]]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    rows = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == "disclosure_review").order_by(ProcessDefinition.version)
    )
    return [(row.version, sorted(f.filename for f in row.files)) for row in rows]


def test_process_owners_see_the_deployed_processes(client, plan_task):
    sign_in(client, "owner")
    page = client.get("/definitions").get_data(as_text=True)
    assert "disclosure_review" in page and 'href="/definitions/disclosure_review/edit"' in page


def test_others_may_not_edit_processes(client, plan_task):
    sign_in(client, "drafter")
    response = client.get("/definitions/disclosure_review/edit", headers={"Accept": "text/html"})
    assert response.status_code == 403 and "流程管理员" in response.get_data(as_text=True)


def test_the_diagram_is_laid_out_for_a_file_that_has_none(client, plan_task):
    sign_in(client, "owner")
    response = client.get("/definitions/disclosure_review/diagram")
    root = etree.fromstring(response.data)
    drawn = {shape.get("bpmnElement") for shape in root.iter(f"{{{BPMNDI}}}BPMNShape")}
    assert {"start", "plan", "accuracy_review", "confidentiality_review", "lane_drafter"} <= drawn


def test_an_edited_diagram_deploys_as_the_next_version_with_its_forms(client, session, plan_task):
    sign_in(client, "owner")
    diagram = client.get("/definitions/disclosure_review/diagram").get_data(as_text=True)
    edited = diagram.replace('name="提出公开方案"', 'name="拟订公开方案"')
    response = client.post(
        "/definitions/disclosure_review/deploy",
        data=edited.encode(),
        headers={"X-CSRFToken": editor_token(client), "Content-Type": "application/xml"},
    )
    assert (response.status_code, response.json) == (201, {"key": "disclosure_review", "version": 2, "created": True})
    (_, first_files), (_, second_files) = versions(session)
    assert first_files == second_files  # the same forms travel with the new version
    latest = session.scalars(select(ProcessDefinition).where(ProcessDefinition.version == 2)).one()
    assert "拟订公开方案".encode() in main_model_file(latest).content


def test_a_broken_diagram_is_refused_by_element_and_stores_nothing(client, session, plan_task):
    sign_in(client, "owner")
    diagram = client.get("/definitions/disclosure_review/diagram").get_data(as_text=True)
    broken = diagram.replace("<bpmn:script>", "<bpmn:script>import os\n", 1)
    response = client.post(
        "/definitions/disclosure_review/deploy",
        data=broken.encode(),
        headers={"X-CSRFToken": editor_token(client), "Content-Type": "application/xml"},
    )
    assert response.status_code == 422
    assert response.json["problems"] and all(p["element_id"] for p in response.json["problems"])
    assert [version for version, _ in versions(session)] == [1]


def test_a_deployment_without_the_pages_token_is_refused(client, session, plan_task):
    sign_in(client, "owner")
    diagram = client.get("/definitions/disclosure_review/diagram").data
    response = client.post(
        "/definitions/disclosure_review/deploy", data=diagram, headers={"Content-Type": "application/xml", "Accept": "application/json"}
    )
    assert response.status_code == 400 and response.json["code"] == "csrf_failed"
    assert [version for version, _ in versions(session)] == [1]
