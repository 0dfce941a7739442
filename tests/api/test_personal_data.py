"""Reads of personal records: allowed by scope, and every read of someone else's record is
visible to the auditors (who, when, whose record)."""

from __future__ import annotations

from engine.models import Person
from tests.helpers.api_errors import assert_error_shape


def person_id(session, username: str) -> int:  # type: ignore[no-untyped-def]
    return session.query(Person).filter_by(username=username).one().id


def test_reads_are_scoped_and_logged(client, login, session):
    member1, member4 = person_id(session, "member1"), person_id(session, "member4")
    assert client.get(f"/api/v1/people/{member1}", headers=login("member1")).status_code == 200  # oneself: not logged
    record = client.get(f"/api/v1/people/{member1}", headers=login("secretary"))
    assert record.status_code == 200 and {"organization_id", "role"} <= set(record.json["roles"][0])
    assert_error_shape(client.get(f"/api/v1/people/{member4}", headers=login("secretary")), 404, "not_found")
    assert_error_shape(client.get(f"/api/v1/people/{member4}", headers=login("member1")), 404, "not_found")

    reads = client.get("/api/v1/audit/events?event_type=person.read", headers=login("auditor")).json
    secretary = person_id(session, "secretary")
    assert [(e["actor_id"], e["after"]["person_id"]) for e in reads] == [(secretary, member1)]
    assert_error_shape(client.get("/api/v1/audit/events", headers=login("secretary")), 403, "forbidden")
