"""The 发展党员 pipeline and an organisation's choice of regulation version, through the API, on the
demo organisation with its seeded cases at several stages."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.calendar import seed_from_package
from engine.definitions.deployment import deploy_package_folders
from engine.models import AuditEvent, Person
from processes import EXTENSIONS, package_folders
from processes.member_development.demo_cases import seed_development_cases
from tests.helpers.browser import sign_in

MEMBER_DEVELOPMENT = Path(__file__).resolve().parents[2] / "processes" / "member_development"


@pytest.fixture
def seeded_cases(demo, session_factory, clock):  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 11, 25, 2, 0))  # 10:00 in Beijing
    with session_factory() as session:
        seed_from_package(session, clock, [2024, 2025, 2026])
        deploy_package_folders(session, package_folders(), EXTENSIONS, clock=clock)
        session.commit()
    return seed_development_cases(session_factory, clock, demo.branch1.id, EXTENSIONS)


def test_pipeline_counts_people_by_stage_and_lists_deadlines(client, login, demo, seeded_cases, session_factory):
    response = client.get(f"/api/v1/organizations/{demo.committee.id}/pipeline", headers=login("owner"))

    assert response.status_code == 200, response.json
    pipeline = response.json
    assert pipeline["cases"] == len(seeded_cases) == 4
    by_stage = {stage["stage"]: stage for stage in pipeline["stages"]}
    assert {code: stage["count"] for code, stage in by_stage.items()} == {
        "application": 1,
        "activist": 0,
        "candidate": 1,
        "admission": 1,
        "probation": 1,
    }
    assert by_stage["application"]["steps"] == [{"step": 2, "title": "党组织派人谈话", "count": 1}]
    assert by_stage["candidate"]["steps"] == [{"step": 7, "title": "确定发展对象", "count": 1}]
    assert by_stage["admission"]["steps"] == [{"step": 13, "title": "上级党委预审", "count": 1}]
    assert by_stage["probation"]["steps"] == [{"step": 23, "title": "转正公示", "count": 1}]
    assert [(d["person_name"], d["element_id"]) for d in pipeline["due_soon"]] == [("入党申请人 张伟", "application_talk")]
    assert [(d["person_name"], d["element_id"]) for d in pipeline["overdue"]] == [("入党申请人 陈晨", "pre_review")]
    with session_factory() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "pipeline.read")).all()
        assert [(event.actor_id, event.organization_id) for event in reads] == [(demo_person(session, "owner"), demo.committee.id)]


def test_a_branch_sees_its_own_pipeline_and_nobody_else_sees_it(client, login, demo, seeded_cases):
    branch1 = f"/api/v1/organizations/{demo.branch1.id}/pipeline"
    assert client.get(branch1, headers=login("secretary")).json["cases"] == 4
    assert client.get(f"/api/v1/organizations/{demo.branch2.id}/pipeline", headers=login("member5")).json["cases"] == 0
    for outsider in ("member1", "member5", "drafter"):
        response = client.get(branch1, headers=login(outsider))
        assert response.status_code == 403, outsider
        assert response.json["code"] == "forbidden"
    assert client.get(branch1).status_code == 401
    assert client.get("/api/v1/organizations/999999/pipeline", headers=login("admin")).status_code == 404


def test_an_organisation_chooses_the_version_new_cases_follow(client, login, demo, clock):
    clock.set(datetime(2026, 11, 25, 2, 0))
    choice = f"/api/v1/organizations/{demo.committee.id}/rule-sets/member_development"
    assert client.get(choice, headers=login("owner")).json | {"versions": None} == {
        "rule_set": "member_development",
        "title": "《中国共产党发展党员工作细则》（2026年5月修订）",
        "versions": None,
        "chosen": None,
        "in_force": "2026.05",
        "applies": "2026.05",
    }

    response = client.put(choice, json={"version": "2014"}, headers=login("owner"))
    assert response.status_code == 200, response.json
    assert (response.json["chosen"], response.json["applies"]) == ("2014", "2014")
    assert _start_case(client, login, demo)["rule_set_version"] == "2014"  # a branch follows its 党委's choice

    assert client.put(choice, json={"version": None}, headers=login("owner")).json["applies"] == "2026.05"
    assert _start_case(client, login, demo)["rule_set_version"] == "2026.05"


def test_a_bad_rule_set_choice_is_refused_and_changes_nothing(client, login, demo):
    choice = f"/api/v1/organizations/{demo.committee.id}/rule-sets/member_development"
    refused = client.put(choice, json={"version": "2031"}, headers=login("owner"))
    assert refused.status_code == 422 and "2014" in refused.json["errors"]["version"][0]
    assert client.put(choice, json={"version": "2014"}, headers=login("secretary")).status_code == 403
    assert client.put(choice, json={"version": "2014", "extra": 1}, headers=login("owner")).status_code == 422
    unknown = f"/api/v1/organizations/{demo.committee.id}/rule-sets/no_such_rules"
    assert client.put(unknown, json={"version": "2014"}, headers=login("owner")).status_code == 404
    assert client.get(choice, headers=login("owner")).json["chosen"] is None


def _deploy_with_sponsor_guard(client, login, name: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """Deploy 发展党员 with its sponsors step naming the guard `name`; the refusal's problems."""
    bpmn = (MEMBER_DEVELOPMENT / "member_development.bpmn").read_text(encoding="utf-8")
    edited = bpmn.replace('value="development.sponsors"', f'value="{name}"')
    upload = {"file": (io.BytesIO(edited.encode()), "member_development.bpmn")}
    response = client.post("/api/v1/process-definitions", data=upload, headers=login("owner"), content_type="multipart/form-data")
    assert response.status_code == 422, response.json
    problems: list[dict] = response.json["errors"]  # type: ignore[type-arg]
    return problems


def test_an_unknown_step_guard_is_refused_at_deploy(client, login):
    problems = _deploy_with_sponsor_guard(client, login, "development.sponsor_checks")
    assert [(p["code"], p["element_id"]) for p in problems] == [("unknown_guard", "sponsors")]


def test_a_guard_by_its_former_name_is_refused_at_deploy_with_its_name_now(client, login):
    (problem,) = _deploy_with_sponsor_guard(client, login, "sponsors")
    assert (problem["code"], problem["element_id"]) == ("unknown_guard", "sponsors")
    assert "development.sponsors" in problem["message"]


def _start_case(client, login, demo) -> dict:  # type: ignore[no-untyped-def, type-arg]
    bpmn = (MEMBER_DEVELOPMENT / "member_development.bpmn").read_bytes()
    upload = {"file": (io.BytesIO(bpmn), "member_development.bpmn")}
    client.post("/api/v1/process-definitions", data=upload, headers=login("owner"), content_type="multipart/form-data")
    response = client.post(
        "/api/v1/process-instances",
        json={"process_key": "member_development", "organization_id": demo.branch1.id},
        headers=login("secretary"),
    )
    assert response.status_code == 201, response.json
    return response.json


def demo_person(session, username: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(Person.id).where(Person.username == username))


def test_the_pipeline_page_links_each_deadline_to_its_task(client, demo, seeded_cases, session_factory):
    sign_in(client, "secretary")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/organizations/{demo.branch1.id}/pipeline"' in home
    page = client.get(f"/organizations/{demo.branch1.id}/pipeline").get_data(as_text=True)
    assert "在办 4 件" in page and "第 13 步 上级党委预审：1" in page
    overdue = page[page.index('id="overdue"') : page.index('id="due_soon"')]
    assert "入党申请人 陈晨" in overdue and 'href="/tasks/' in overdue
    with session_factory() as session:
        read = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "pipeline.read")).one()
        assert read.actor_id == demo_person(session, "secretary")


def test_the_pipeline_page_is_for_those_who_follow_cases(client, demo, seeded_cases):
    sign_in(client, "member1")
    assert "/pipeline" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/organizations/{demo.branch1.id}/pipeline", headers={"Accept": "text/html"}).status_code == 403
