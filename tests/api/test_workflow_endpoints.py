"""Deploying, starting and working on tasks through HTTP, including what is refused and why."""

from __future__ import annotations

import io

import pytest

from engine.models import AuditEvent, ProcessDefinition
from tests.helpers.api_errors import assert_error_shape
from tests.helpers.paths import FIXTURES

PROCESSES = FIXTURES.parents[2] / "processes" / "disclosure_review"


def upload(client, headers, name: str, content: bytes, extra: dict[str, bytes] | None = None):  # type: ignore[no-untyped-def]
    data = {"file": (io.BytesIO(content), name)}
    if extra:
        data["files"] = [(io.BytesIO(body), filename) for filename, body in extra.items()]
    return client.post("/api/v1/process-definitions", data=data, headers=headers, content_type="multipart/form-data")


@pytest.fixture
def disclosure_deployed(client, login):  # type: ignore[no-untyped-def]
    response = upload(client, login("owner"), "disclosure_review.bpmn", (PROCESSES / "disclosure_review.bpmn").read_bytes())
    assert response.status_code == 201, response.json
    return response.json


def start(client, login, username="drafter", **body):  # type: ignore[no-untyped-def]
    payload = {"process_key": "disclosure_review", **body}
    return client.post("/api/v1/process-instances", json=payload, headers=login(username))


def test_deploy_returns_key_and_version_and_redeploy_is_idempotent(client, login, disclosure_deployed):
    assert disclosure_deployed == {"key": "disclosure_review", "version": 1, "created": True}
    again = upload(client, login("owner"), "disclosure_review.bpmn", (PROCESSES / "disclosure_review.bpmn").read_bytes())
    assert again.status_code == 200 and again.json == {"key": "disclosure_review", "version": 1, "created": False}
    listed = client.get("/api/v1/process-definitions", headers=login("drafter")).json
    assert [(d["key"], d["version"]) for d in listed] == [("disclosure_review", 1)]
    assert "forms/disclosure_plan.json" in listed[0]["files"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<bpmn:definitions", "xml_syntax"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>', "doctype_forbidden"),
    ],
    ids=["malformed", "xxe"],
)
def test_a_bpmn_that_fails_to_load_is_422_with_structured_errors(client, login, session, content, code):
    body = assert_error_shape(upload(client, login("owner"), "bad.bpmn", content), 422, "deployment_refused")
    problem = body["errors"][0]
    assert set(problem) == {"code", "message", "file", "element_id", "line"}
    assert problem["code"] == code and problem["file"] == "bad.bpmn"
    assert "root:" not in str(body)  # nothing of /etc/passwd
    assert session.query(ProcessDefinition).count() == 0


def test_only_process_owners_deploy(client, login, session):
    response = upload(client, login("drafter"), "x.bpmn", (PROCESSES / "disclosure_review.bpmn").read_bytes())
    assert_error_shape(response, 403, "forbidden")
    assert session.query(ProcessDefinition).count() == 0


def test_deploy_without_a_file_is_422(client, login):
    response = client.post("/api/v1/process-definitions", data={}, headers=login("owner"), content_type="multipart/form-data")
    assert "file" in assert_error_shape(response, 422, "validation_failed")["errors"]


def test_drafter_submits_and_secretary_sees_it_in_the_group_inbox(client, login, demo, disclosure_deployed):
    instance = start(client, login, organization_id=demo.branch1.id, business_key="GK-2026-007").json
    assert instance["status"] == "running" and instance["definition_version"] == 1
    (plan,) = instance["open_tasks"]
    submission = {
        "title": "第一党支部2026年度发展党员计划",
        "content": "计划发展党员2名。",
        "scope": "local",
        "methods": ["meeting"],
        "publish_on": "2026-03-10",
    }
    done = client.post(f"/api/v1/tasks/{plan['id']}/complete", json={"data": submission}, headers=login("drafter"))
    assert done.status_code == 200 and done.json["completion_data"]["publish_on"] == "2026-03-10"

    inbox = client.get("/api/v1/tasks", query_string={"scope": "group"}, headers=login("secretary")).json
    assert [t["element_id"] for t in inbox["items"]] == ["accuracy_review"] and inbox["total"] == 1
    reviewer_inbox = client.get("/api/v1/tasks?scope=group", headers=login("reviewer")).json
    assert [t["element_id"] for t in reviewer_inbox["items"]] == ["confidentiality_review"]
    history = client.get(f"/api/v1/process-instances/{instance['id']}/history", headers=login("drafter")).json
    types = [e["event_type"] for e in history]
    assert types[:4] == ["instance.started", "task.created", "timer.scheduled", "timer.scheduled"]
    assert "task.completed" in types


def test_a_task_form_comes_with_the_values_it_shows_but_does_not_ask_for(client, login, demo, disclosure_deployed):
    instance = start(client, login, organization_id=demo.branch1.id).json
    (plan,) = instance["open_tasks"]
    plan_form = client.get(f"/api/v1/tasks/{plan['id']}/form", headers=login("drafter")).json
    assert plan_form["form_key"] == "disclosure_plan" and plan_form["shown"] == {}
    assert plan_form["form"]["properties"]["scope"]["x-enum-titles"][0] == "向社会公开"
    submission = {"title": "党费收缴情况", "content": "已全部缴纳。", "scope": "local", "methods": ["meeting"], "publish_on": "2026-03-10"}
    assert client.post(f"/api/v1/tasks/{plan['id']}/complete", json={"data": submission}, headers=login("drafter")).status_code == 200
    review = client.get("/api/v1/tasks", query_string={"scope": "group"}, headers=login("secretary")).json["items"][0]
    review_form = client.get(f"/api/v1/tasks/{review['id']}/form", headers=login("secretary")).json
    assert review_form["form_key"] == "accuracy_review" and review_form["shown"] == {"title": "党费收缴情况"}


def test_a_form_failure_is_422_naming_each_field_and_writes_nothing(client, login, demo, session, disclosure_deployed):
    (plan,) = start(client, login, organization_id=demo.branch1.id).json["open_tasks"]
    events = session.query(AuditEvent).count()
    response = client.post(f"/api/v1/tasks/{plan['id']}/complete", json={"data": {"title": "x", "scope": "moon"}}, headers=login("drafter"))
    errors = assert_error_shape(response, 422, "submission_invalid")["errors"]
    assert {"title", "scope", "content", "methods", "publish_on"} <= set(errors)
    assert session.query(AuditEvent).count() == events
    assert client.get(f"/api/v1/tasks/{plan['id']}", headers=login("drafter")).json["status"] == "open"


def test_completing_twice_is_409_and_someone_elses_task_is_403(client, login, demo, disclosure_deployed):
    (plan,) = start(client, login, organization_id=demo.branch1.id).json["open_tasks"]
    body = {"data": {"title": "标题", "content": "内容", "scope": "local", "methods": ["meeting"], "publish_on": "2026-03-10"}}
    assert client.post(f"/api/v1/tasks/{plan['id']}/complete", json=body, headers=login("drafter")).status_code == 200
    assert_error_shape(client.post(f"/api/v1/tasks/{plan['id']}/complete", json=body, headers=login("drafter")), 409, "conflict")
    review = client.get("/api/v1/tasks?scope=group", headers=login("reviewer")).json["items"][0]
    response = client.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {}}, headers=login("secretary"))
    assert_error_shape(response, 404, "not_found")  # not a candidate: the task is not even visible


def test_a_branch_two_member_cannot_start_in_branch_one(client, login, demo, disclosure_deployed):
    assert_error_shape(start(client, login, "member4", organization_id=demo.branch1.id), 403, "forbidden")


def test_claim_and_stale_version(client, login, demo, disclosure_deployed):
    instance = start(client, login, organization_id=demo.branch1.id).json
    (plan,) = instance["open_tasks"]
    claimed = client.post(f"/api/v1/tasks/{plan['id']}/claim", json={}, headers=login("drafter"))
    assert claimed.status_code == 200 and claimed.json["assignee_id"] is not None
    stale = client.post(f"/api/v1/tasks/{plan['id']}/unclaim", json={"expected_version": instance["version"]}, headers=login("drafter"))
    assert_error_shape(stale, 409, "conflict")


def test_audit_verify_is_for_auditors(client, login, disclosure_deployed):
    assert client.get("/api/v1/audit/verify", headers=login("auditor")).json["ok"] is True
    assert_error_shape(client.get("/api/v1/audit/verify", headers=login("drafter")), 403, "forbidden")


def test_a_task_of_another_process_is_refused_when_the_client_names_its_process(client, login, demo, session, disclosure_deployed):
    (plan,) = start(client, login, organization_id=demo.branch1.id).json["open_tasks"]
    events = session.query(AuditEvent).count()
    body = {"data": {}, "process_key": "member_development"}
    response = client.post(f"/api/v1/tasks/{plan['id']}/complete", json=body, headers=login("drafter"))
    assert_error_shape(response, 422, "task_mismatch")
    response = client.post(f"/api/v1/tasks/{plan['id']}/complete", json={"data": {}, "instance_id": 99999}, headers=login("drafter"))
    assert_error_shape(response, 422, "task_mismatch")
    assert session.query(AuditEvent).count() == events


def test_notifications_list_and_mark_read(client, login, demo, session, clock):
    from engine.models import Notification, Person

    secretary = session.query(Person).filter_by(username="secretary").one()
    session.add(Notification(person_id=secretary.id, kind="reminder", message="任务即将到期", created_at=clock.now()))
    session.commit()
    listed = client.get("/api/v1/notifications", headers=login("secretary")).json
    assert [n["message"] for n in listed] == ["任务即将到期"]
    assert client.get("/api/v1/notifications", headers=login("drafter")).json == []
    assert_error_shape(client.post(f"/api/v1/notifications/{listed[0]['id']}/read", headers=login("drafter")), 404, "not_found")
    read = client.post(f"/api/v1/notifications/{listed[0]['id']}/read", headers=login("secretary"))
    assert read.status_code == 200 and read.json["read_at"] is not None
    assert client.get("/api/v1/notifications", headers=login("secretary")).json == []


def test_delegation_stays_within_the_candidates(client, login, demo, session, disclosure_deployed):
    from engine.models import Person, Role, RoleAssignment

    (plan,) = start(client, login, organization_id=demo.branch1.id).json["open_tasks"]
    member1 = session.query(Person).filter_by(username="member1").one()
    refused = client.post(f"/api/v1/tasks/{plan['id']}/delegate", json={"person_id": member1.id}, headers=login("drafter"))
    assert "person_id" in assert_error_shape(refused, 422, "validation_failed")["errors"]
    session.add(RoleAssignment(person_id=member1.id, organization_id=demo.branch1.id, role=Role.DRAFTER))
    session.commit()
    delegated = client.post(f"/api/v1/tasks/{plan['id']}/delegate", json={"person_id": member1.id}, headers=login("drafter"))
    assert delegated.status_code == 200 and delegated.json["assignee_id"] == member1.id


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (
            (
                b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
                b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>'
            ),
            "doctype_forbidden",
        ),
        (
            (FIXTURES / "sandbox" / "script_task.bpmn").read_bytes().replace(b"SCRIPT_UNDER_TEST", b"import os"),
            "script_rejected",
        ),
    ],
    ids=["billion-laughs", "script-import"],
)
def test_hostile_bpmn_is_refused_and_the_server_keeps_serving(client, login, session, content, code):
    response = upload(client, login("owner"), "hostile.bpmn", content)
    assert code in {p["code"] for p in assert_error_shape(response, 422, "deployment_refused")["errors"]}
    assert session.query(ProcessDefinition).count() == 0
    assert client.get("/api/v1/process-definitions", headers=login("owner")).status_code == 200
