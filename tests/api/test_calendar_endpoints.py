"""The calendar over HTTP: read by anyone signed in, changed by administrators only, audited."""

from __future__ import annotations

from engine.calendar import seed_from_package
from engine.models import AuditEvent
from tests.helpers.api_errors import assert_error_shape


def test_read_a_range_and_override_a_day(client, login, session_factory, clock):
    with session_factory() as session:
        seed_from_package(session, clock, years=[2026])
        session.commit()
    days = client.get("/api/v1/calendar?start=2026-10-09&end=2026-10-11", headers=login("member1")).json
    assert [(d["date"], d["is_workday"], d["kind"]) for d in days] == [
        ("2026-10-09", True, "workday"),
        ("2026-10-10", True, "adjusted_workday"),
        ("2026-10-11", False, "weekend"),
    ]
    refused = client.put("/api/v1/calendar/2026-10-09", json={"is_workday": False, "reason": "本单位调休"}, headers=login("secretary"))
    assert_error_shape(refused, 403, "forbidden")
    changed = client.put("/api/v1/calendar/2026-10-09", json={"is_workday": False, "reason": "本单位调休"}, headers=login("admin"))
    assert changed.status_code == 200 and changed.json["is_workday"] is False and changed.json["source"] == "admin"
    with session_factory() as session:
        assert session.query(AuditEvent).filter(AuditEvent.event_type == "calendar.day_set").count() == 1


def test_an_unpublished_year_reads_as_provisional(client, login, demo):
    days = client.get("/api/v1/calendar?start=2027-01-04&end=2027-01-04", headers=login("member1")).json
    assert days == [{"date": "2027-01-04", "is_workday": True, "kind": "workday", "name": None, "source": "rule", "provisional": True}]


def test_bad_ranges_are_422(client, login, demo):
    response = client.get("/api/v1/calendar?start=2026-10-09&end=2026-01-01", headers=login("member1"))
    assert_error_shape(response, 422, "validation_failed")
    response = client.put("/api/v1/calendar/not-a-date", json={"is_workday": True, "reason": "原因"}, headers=login("admin"))
    assert_error_shape(response, 422, "validation_failed")
