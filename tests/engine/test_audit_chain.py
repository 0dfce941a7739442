"""The audit chain: every command leaves events, and editing or deleting a row is detected."""

from __future__ import annotations

from sqlalchemy import select, text

from engine.audit import altered_events, verify_chain
from engine.models import AuditEvent


def test_events_carry_who_what_where_and_before_after(session, history, people, org_tree):
    events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == history.id).order_by(AuditEvent.seq)).all()
    assert [e.event_type for e in events] == [
        "instance.started",
        "task.created",
        "task.claimed",
        "task.completed",
        "task.created",
        "timer.scheduled",
        "timer.scheduled",  # the review's SLA: its reminder and its escalation
    ]
    claimed = events[2]
    assert claimed.actor_id == people["drafter"].id and claimed.organization_id == org_tree.branch_a.id
    assert (claimed.before, claimed.after) == ({"assignee_id": None}, {"assignee_id": people["drafter"].id})
    assert events[3].after == {"title": "审计 v2"}


def test_untouched_chain_verifies(session, history):
    result = verify_chain(session)
    assert result.ok and result.first_bad_seq is None
    assert result.events == session.query(AuditEvent).count() == 8


def test_editing_a_row_is_detected_at_that_row(session, history):
    with session.begin():
        session.execute(text("UPDATE audit_events SET after = :v WHERE seq = 4"), {"v": '{"title": "伪造"}'})
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_rehashing_an_edited_row_still_breaks_the_next_link(session, history, audit_anchor):
    from engine.audit import event_hash

    # Event 2: no checkpoint names it (event 3's commit wrote one), so the next link is what breaks.
    event = session.get(AuditEvent, 2)
    event.actor_id = 999
    event.hash = event_hash(event, audit_anchor.key)  # even with the key, the next event names the old hash
    session.commit()
    assert verify_chain(session).first_bad_seq == 3


def test_deleting_a_middle_row_is_detected(session, history):
    with session.begin():
        session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert verify_chain(session).first_bad_seq == 2


def test_deleting_the_newest_rows_is_detected(session, history):
    with session.begin():
        session.execute(text("DELETE FROM audit_events WHERE seq >= 7"))
    result = verify_chain(session)
    assert (result.ok, result.first_bad_seq, result.events) == (False, 7, 6)


def instance_events(session, instance_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)).all()


def test_one_instances_events_are_checked_row_by_row(session, history):
    assert altered_events(session, instance_events(session, history.id)) == set()
    session.rollback()  # end the read, as a request would
    with session.begin():
        session.execute(text("UPDATE audit_events SET after = :v WHERE seq = 4"), {"v": '{"title": "伪造"}'})
    assert altered_events(session, instance_events(session, history.id)) == {4}


def test_a_deleted_row_marks_the_event_after_the_gap(session, history):
    with session.begin():
        session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    assert altered_events(session, instance_events(session, history.id)) == {4}
