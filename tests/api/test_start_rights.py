"""Who may start which process where, through the API (finding 3, 8 and 10 of issue 13): each attack
an insider tried is refused with the project's error shape and creates nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, Organization, Person, ProcessInstance, Role, RoleAssignment
from engine.people.permissions import load_actor, may_oversee
from engine.people.start_rights import may_start
from processes import EXTENSIONS
from tests.helpers.api_errors import assert_error_shape
from tests.helpers.paths import PROCESSES


def deploy(client, login, key: str) -> None:  # type: ignore[no-untyped-def]
    upload: dict[str, Any] = {"file": (io.BytesIO((PROCESSES / key / f"{key}.bpmn").read_bytes()), f"{key}.bpmn")}
    upload["files"] = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted((PROCESSES / key).glob("*.dmn"))]
    response = client.post("/api/v1/process-definitions", data=upload, headers=login("owner"), content_type="multipart/form-data")
    assert response.status_code in (200, 201), response.json


def start(client, login, username: str, key: str, organization_id: int, **body: Any):  # type: ignore[no-untyped-def]
    payload = {"process_key": key, "organization_id": organization_id, **body}
    return client.post("/api/v1/process-instances", json=payload, headers=login(username))


def written(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(ProcessInstance.id))), session.scalar(select(func.count(AuditEvent.seq)))


def test_a_plain_member_cannot_open_a_disposition_case_and_nothing_is_created(client, login, demo, session):
    deploy(client, login, "member_disposition")
    before = written(session)
    body = assert_error_shape(start(client, login, "member1", "member_disposition", demo.branch1.id), 403, "forbidden")
    assert "支部书记、党委委员" in body["message"]
    assert written(session) == before
    started = start(client, login, "secretary", "member_disposition", demo.branch1.id)
    assert started.status_code == 201, started.json
    assert [t["element_id"] for t in started.json["open_tasks"]] == ["initiation"]


def test_a_member_cannot_block_the_secretarys_appraisal(client, login, demo, session):
    deploy(client, login, "democratic_appraisal")
    before = written(session)
    assert_error_shape(start(client, login, "member1", "democratic_appraisal", demo.branch1.id), 403, "forbidden")
    assert written(session) == before
    started = start(client, login, "secretary", "democratic_appraisal", demo.branch1.id)
    assert started.status_code == 201, started.json


def test_no_appraisal_in_a_party_group(client, login, demo, session):
    deploy(client, login, "democratic_appraisal")
    before = written(session)
    for username in ("drafter", "secretary", "committee", "member1"):
        body = assert_error_shape(start(client, login, username, "democratic_appraisal", demo.group1.id), 403, "forbidden")
        assert "党支部" in body["message"]
    assert written(session) == before


def test_a_hand_start_may_not_take_the_timers_business_key(client, login, demo, session):
    deploy(client, login, "democratic_appraisal")
    before = written(session)
    response = start(client, login, "secretary", "democratic_appraisal", demo.branch1.id, business_key="democratic_appraisal@2026-10-01")
    body = assert_error_shape(response, 422, "submission_invalid")
    assert "business_key" in body["errors"]
    assert written(session) == before


def test_nine_megabytes_of_start_data_are_refused(client, login, demo, session):
    deploy(client, login, "disclosure_review")
    before = written(session)
    response = start(client, login, "drafter", "disclosure_review", demo.branch1.id, data={"blob": "x" * 9_000_000})
    body = assert_error_shape(response, 422, "submission_invalid")
    assert "16 KiB" in body["errors"]["data"][0]
    assert written(session) == before


def test_an_unknown_start_variable_is_refused(client, login, demo, session):
    deploy(client, login, "disclosure_review")
    before = written(session)
    response = start(client, login, "drafter", "disclosure_review", demo.branch1.id, data={"review_votes": {"secrecy": "pass"}})
    body = assert_error_shape(response, 422, "submission_invalid")
    assert set(body["errors"]) == {"review_votes"}
    assert written(session) == before


@pytest.mark.parametrize("username", ["member1", "secretary", "committee"])
def test_only_who_may_choose_rule_sets_picks_the_regulation_version(client, login, demo, session, username):
    deploy(client, login, "member_development")
    before = written(session)
    response = start(client, login, username, "member_development", demo.branch1.id, data={"rule_set_version": "2014"})
    assert_error_shape(response, 403, "forbidden")
    assert written(session) == before


def test_a_secretary_who_is_also_the_process_owner_may_pick_the_version(client, login, demo, session):
    deploy(client, login, "member_development")
    secretary = session.scalars(select(Person).where(Person.username == "secretary")).one()
    session.add(RoleAssignment(person_id=secretary.id, organization_id=demo.branch1.id, role=Role.PROCESS_OWNER))
    session.commit()
    response = start(client, login, "secretary", "member_development", demo.branch1.id, data={"rule_set_version": "2014"})
    assert response.status_code == 201, response.json
    assert response.json["rule_set_version"] == "2014"


def test_the_branch_secretary_alone_cannot_publish_to_society(client, login, demo, session):
    deploy(client, login, "disclosure_review")
    instance = start(client, login, "drafter", "disclosure_review", demo.branch1.id).json
    plan = {
        "title": "关于推进党务公开工作的通报",
        "content": "机关党委决定在全系统推行党务公开目录管理。",
        "scope": "society",
        "methods": ["website"],
        "publish_on": "2026-04-10",
    }
    steps = [
        ("plan", "drafter", plan),
        (
            "confidentiality_review",
            "reviewer",
            {"secret": False, "necessity_ok": True, "accuracy_ok": True, "outcome": "pass", "opinion": "不涉密。"},
        ),
        (
            "accuracy_review",
            "secretary",
            {"necessity_confirmed": True, "accuracy_confirmed": True, "review_outcome": "pass", "review_opinion": "准确。"},
        ),
        ("approval", "secretary", {"outcome": "approve", "opinion": "同意。"}),
    ]
    for element_id, username, data in steps:
        current = client.get(f"/api/v1/process-instances/{instance['id']}", headers=login("admin")).json
        (task,) = [t for t in current["open_tasks"] if t["element_id"] == element_id]
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=login(username))
        assert done.status_code == 200, done.json
    after = client.get(f"/api/v1/process-instances/{instance['id']}", headers=login("admin")).json
    (higher,) = after["open_tasks"]
    assert higher["element_id"] == "higher_approval" and higher["candidate_organization_id"] == demo.committee.id
    refused = client.post(
        f"/api/v1/tasks/{higher['id']}/complete", json={"data": {"outcome": "approve", "opinion": "同意。"}}, headers=login("secretary")
    )
    assert refused.status_code in (403, 404)
    assert client.get("/api/v1/disclosures", headers=login("member1")).json == []


def test_whoever_may_start_a_declared_process_already_oversees_it_through_their_role(session, demo):
    """Being its starter adds nothing to what the starter's role gives: a package's start rule
    names only roles that oversee the organisation (not a plain member), so the starter of a
    组织处置 case reads its confidential first step because of their office, not because they
    opened the case."""
    organizations = session.scalars(select(Organization)).all()
    for person in session.scalars(select(Person)).all():
        actor = load_actor(session, person)
        for key in EXTENSIONS.start_rules:
            for organization in organizations:
                if may_start(session, actor, key, organization.id, EXTENSIONS.start_rules):
                    assert may_oversee(session, actor, organization.id), (person.username, key, organization.name)


def test_a_member_does_not_read_the_disposition_case_the_secretary_opened(client, login, demo):
    deploy(client, login, "member_disposition")
    started = start(client, login, "secretary", "member_disposition", demo.branch1.id).json
    (initiation,) = started["open_tasks"]
    for path in (f"/api/v1/process-instances/{started['id']}", f"/api/v1/tasks/{initiation['id']}"):
        assert_error_shape(client.get(path, headers=login("member1")), 404, "not_found")
        assert client.get(path, headers=login("secretary")).status_code == 200
