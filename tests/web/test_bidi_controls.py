"""Bidirectional control characters make text display as something it is not (a business key that
reads as the timer's, a name that reads as another person's). Identifiers and names refuse them:
business keys, usernames, organisation names, and the author names and text of opinions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import SubmissionRejected
from engine.models import DisclosureOpinion, DisclosureScope, Organization, OrganizationKind, Person, ProcessInstance
from engine.people.organizations import create_organization, create_person
from tests.helpers.api_errors import assert_error_shape
from tests.helpers.browser import csrf_token, post_start, sign_in

# Each shows as an innocent text but is not it.
CONTROLS = {
    "right-to-left-override": "\u202e",
    "left-to-right-embedding": "\u202a",
    "first-strong-isolate": "\u2068",
    "right-to-left-mark": "\u200f",
    "arabic-letter-mark": "\u061c",
}


def count(session, column) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(column)))


@pytest.mark.parametrize("control", CONTROLS.values(), ids=CONTROLS.keys())
def test_a_business_key_with_a_bidi_control_is_refused(client, login, session, demo, control):
    body = {"process_key": "disclosure_review", "organization_id": demo.branch1.id, "business_key": f"GK-2026{control}-012"}
    refused = assert_error_shape(client.post("/api/v1/process-instances", json=body, headers=login("drafter")), 422, "validation_failed")
    message = refused["errors"]["business_key"][0]
    assert "双向文字控制符" in message and f"U+{ord(control):04X}" in message
    assert count(session, ProcessInstance.id) == 0


def test_the_start_page_refuses_a_business_key_with_a_bidi_control(client, session, demo, plan_task):
    sign_in(client, "drafter")
    before = count(session, ProcessInstance.id)
    page = client.get("/start").get_data(as_text=True)
    response = post_start(client, page, "disclosure_review", demo.branch1.id, "democratic_appraisal@2026-10-01\u202e")
    assert response.status_code == 400 and "双向文字控制符" in response.get_data(as_text=True)
    assert count(session, ProcessInstance.id) == before


def test_a_username_with_a_bidi_control_is_refused_at_sign_in(client, demo):
    response = client.post("/api/v1/auth/token", json={"username": "adm\u202enim", "password": "demo"})
    refused = assert_error_shape(response, 422, "validation_failed")
    assert "U+202E" in refused["errors"]["username"][0]


def test_accounts_and_organisations_cannot_be_named_with_bidi_controls(session, clock, demo):
    with pytest.raises(SubmissionRejected) as person:
        create_person(session, "secretary\u2066", "王书记", clock=clock)
    assert list(person.value.errors) == ["username"]
    with pytest.raises(SubmissionRejected) as named:
        create_person(session, "wang", "王\u202e书记", clock=clock)
    assert list(named.value.errors) == ["display_name"]
    with pytest.raises(SubmissionRejected) as organization:
        create_organization(session, "第三\u202e党支部", OrganizationKind.BRANCH, demo.committee.id, clock=clock)
    assert "U+202E" in organization.value.errors["name"][0]
    session.rollback()
    assert session.scalar(select(Person.id).where(Person.username == "wang")) is None
    assert session.scalar(select(Organization.id).where(Organization.name.like("第三%"))) is None


@pytest.mark.parametrize("field", ["author_name", "content"])
def test_an_opinion_with_a_bidi_control_is_refused(client, session, published, field):
    record = published[DisclosureScope.SOCIETY]
    body = {"content": "建议公布明细。", "author_name": "张三", field: "支部书记\u202e三张"}
    refused = assert_error_shape(client.post(f"/api/v1/disclosures/{record.id}/opinions", json=body), 422, "validation_failed")
    assert "双向文字控制符" in refused["errors"][field][0]
    page = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    response = client.post(f"/disclosures/{record.id}", data={"csrf_token": csrf_token(page), **body})
    assert response.status_code == 400 and "双向文字控制符" in response.get_data(as_text=True)
    assert count(session, DisclosureOpinion.id) == 0
