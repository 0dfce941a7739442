"""What was published, read in the browser by the public and by members, each seeing only what its
scope allows, and the opinions left during the feedback window."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.models import AuditEvent, DisclosureOpinion, DisclosureScope, DisclosureStatus
from tests.helpers.browser import csrf_token, sign_in


def opinions(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(DisclosureOpinion.id)))


def test_the_public_reads_only_what_was_published_to_society(client, published):
    listing = client.get("/disclosures").get_data(as_text=True)
    assert "2026年党费收缴情况" in listing and "支部委员会换届选举安排" not in listing
    page = client.get(f"/disclosures/{published[DisclosureScope.SOCIETY].id}").get_data(as_text=True)
    assert "2026年党费收缴情况：正文。" in page and "向社会公开" in page
    hidden = client.get(f"/disclosures/{published[DisclosureScope.LOCAL].id}", headers={"Accept": "text/html"})
    assert hidden.status_code == 404


def test_a_member_of_the_unit_reads_what_was_published_within_it(client, published):
    sign_in(client, "member1")
    listing = client.get("/disclosures").get_data(as_text=True)
    assert "2026年党费收缴情况" in listing and "支部委员会换届选举安排" in listing


def test_the_public_leaves_an_opinion_on_a_public_disclosure(client, session, published):
    record = published[DisclosureScope.SOCIETY]
    page = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    response = client.post(
        f"/disclosures/{record.id}",
        data={
            "csrf_token": csrf_token(page),
            "content": "建议同时公布各支部的缴纳情况。",
            "author_name": "张三",
        },
    )
    assert response.status_code == 302
    assert "意见已提交" in client.get(response.headers["Location"]).get_data(as_text=True)
    opinion = session.scalars(select(DisclosureOpinion)).one()
    assert (opinion.author_id, opinion.author_name, opinion.is_objection) == (None, "张三", False)
    event = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "disclosure.opinion_left")).one()
    assert event.actor_id is None and event.after == {"opinion_id": opinion.id, "is_objection": False}


def test_an_empty_opinion_is_refused_and_nothing_is_recorded(client, session, published):
    record = published[DisclosureScope.SOCIETY]
    page = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    response = client.post(f"/disclosures/{record.id}", data={"csrf_token": csrf_token(page), "content": ""})
    assert response.status_code == 400 and re.search(r'id="error-content">请填写意见内容', response.get_data(as_text=True))
    assert opinions(session) == 0


def test_no_opinions_once_the_feedback_window_closed(client, session, published):
    record = published[DisclosureScope.SOCIETY]
    page = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    record.status = DisclosureStatus.ARCHIVED
    session.commit()
    archived = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    assert "已归档" in archived and "提出意见" not in archived
    client.post(f"/disclosures/{record.id}", data={"csrf_token": csrf_token(page), "content": "迟到的意见"})
    assert opinions(session) == 0


def test_text_no_column_can_hold_is_refused_before_it_is_stored(client, session, published):
    record = published[DisclosureScope.SOCIETY]
    page = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    response = client.post(
        f"/disclosures/{record.id}", data={"csrf_token": csrf_token(page), "content": "意见\x00"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 422 and "NUL" in response.get_data(as_text=True)
    assert opinions(session) == 0
