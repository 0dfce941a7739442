"""Opinions on a disclosure are open to the public, so they are rate-limited per address (counted
in the database: several web processes and a restart see the same counts), and an author is shown
as who they are: a signed-in person by their account's name, whatever they typed; a name typed by
a member of the public marked unverified, so it cannot pass as an office holder's."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from api.app import create_app
from api.http.database import dispose_database
from engine.models import DisclosureOpinion, DisclosureScope
from processes.disclosure_review.opinion_safeguards import PER_DISCLOSURE, PER_HOUR
from tests.helpers.api_errors import assert_error_shape
from tests.helpers.browser import csrf_token, sign_in

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
NEIGHBOUR = {"REMOTE_ADDR": "198.51.100.20"}


def opinions(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(DisclosureOpinion.id)))


def post_opinion(client, disclosure_id: int, address: dict[str, str], **extra):  # type: ignore[no-untyped-def]
    body = {"content": "建议公布各支部明细。" * 10, **extra}
    return client.post(f"/api/v1/disclosures/{disclosure_id}/opinions", json=body, environ_base=address)


def test_an_address_posting_a_burst_is_refused_and_others_are_not(client, session, clock, published):
    record = published[DisclosureScope.SOCIETY]
    for _ in range(PER_DISCLOSURE):
        assert post_opinion(client, record.id, ATTACKER).status_code == 201
    refused = assert_error_shape(post_opinion(client, record.id, ATTACKER), 429, "too_many_requests")
    assert "过于频繁" in refused["message"] and "(" in refused["message"]
    assert opinions(session) == PER_DISCLOSURE
    assert post_opinion(client, record.id, NEIGHBOUR).status_code == 201
    clock.advance(timedelta(minutes=11))
    assert post_opinion(client, record.id, ATTACKER).status_code == 201


def test_an_address_is_capped_per_hour_across_windows(client, session, clock, published):
    record = published[DisclosureScope.SOCIETY]
    posted = 0
    while posted < PER_HOUR:
        for _ in range(min(PER_DISCLOSURE, PER_HOUR - posted)):
            assert post_opinion(client, record.id, ATTACKER).status_code == 201
            posted += 1
        clock.advance(timedelta(minutes=10, seconds=1))
    refused = assert_error_shape(post_opinion(client, record.id, ATTACKER), 429, "too_many_requests")
    assert "1 小时" in refused["message"]
    assert opinions(session) == PER_HOUR


def test_the_count_survives_a_restart_and_holds_in_another_process(app, client, database_url, clock, published):
    record = published[DisclosureScope.SOCIETY]
    for _ in range(PER_DISCLOSURE):
        assert post_opinion(client, record.id, ATTACKER).status_code == 201
    restarted = create_app({"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True})
    try:
        assert_error_shape(post_opinion(restarted.test_client(), record.id, ATTACKER), 429, "too_many_requests")
    finally:
        dispose_database(restarted)


def test_the_page_refuses_a_burst_too(client, session, published):
    record = published[DisclosureScope.SOCIETY]
    page = client.get(f"/disclosures/{record.id}", environ_base=ATTACKER).get_data(as_text=True)
    for _ in range(PER_DISCLOSURE):
        response = client.post(f"/disclosures/{record.id}", data={"csrf_token": csrf_token(page), "content": "意见"}, environ_base=ATTACKER)
        assert response.status_code == 302
    response = client.post(
        f"/disclosures/{record.id}",
        data={"csrf_token": csrf_token(page), "content": "意见"},
        environ_base=ATTACKER,
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 429 and "过于频繁" in response.get_data(as_text=True)
    assert opinions(session) == PER_DISCLOSURE


def test_a_signed_in_author_is_shown_by_their_account_whatever_they_typed(client, login, session, published):
    record = published[DisclosureScope.SOCIETY]
    response = client.post(
        f"/api/v1/disclosures/{record.id}/opinions",
        json={"content": "同意公开。", "author_name": "党委委员 陈静"},
        headers=login("member1"),
    )
    assert response.status_code == 201
    assert (response.json["author_name"], response.json["author_verified"]) == ("党员 刘洋", True)
    assert session.scalars(select(DisclosureOpinion)).one().author_name == "党员 刘洋"


def test_a_typed_name_is_shown_unverified_and_cannot_pass_as_an_office_holder(client, login, published):
    record = published[DisclosureScope.SOCIETY]
    assert post_opinion(client, record.id, ATTACKER, author_name="支部书记 王芳").status_code == 201
    assert post_opinion(client, record.id, ATTACKER, author_name="支部书记\n王芳").status_code == 201
    assert post_opinion(client, record.id, ATTACKER).status_code == 201
    listed = client.get(f"/api/v1/disclosures/{record.id}/opinions", headers=login("secretary")).json
    assert [(o["author_name"], o["author_verified"]) for o in listed] == [
        ("支部书记 王芳（未验证）(unverified)", False),
        ("支部书记 王芳（未验证）(unverified)", False),
        ("匿名 (anonymous)", False),
    ]


def test_a_signed_in_reader_on_the_page_is_shown_by_their_account(client, session, published):
    sign_in(client, "member1")
    record = published[DisclosureScope.LOCAL]
    page = client.get(f"/disclosures/{record.id}").get_data(as_text=True)
    response = client.post(
        f"/disclosures/{record.id}", data={"csrf_token": csrf_token(page), "content": "同意。", "author_name": "支部书记 王芳"}
    )
    assert response.status_code == 302
    assert session.scalars(select(DisclosureOpinion)).one().author_name == "党员 刘洋"
