"""Notifications (reminders, escalations, appraisal results) on the inbox page: shown to the person
they are for, linked to their task or case, and marked read there."""

from __future__ import annotations

from sqlalchemy import select

from engine.models import Notification, Person
from tests.helpers.browser import csrf_token, sign_in


def notice_for(session, clock, username: str, message: str, **where) -> Notification:  # type: ignore[no-untyped-def]
    """A notification as the SLA timers or the appraisal write it."""
    person = session.scalars(select(Person).where(Person.username == username)).one()
    notification = Notification(person_id=person.id, kind="reminder", message=message, created_at=clock.now(), **where)
    session.add(notification)
    session.commit()
    return notification


def test_a_notification_is_shown_linked_and_marked_read(client, session, clock, plan_task):
    notice = notice_for(
        session, clock, "drafter", "任务“提出公开方案”将于明天到期", task_id=plan_task.id, instance_id=plan_task.instance_id
    )
    sign_in(client, "drafter")
    home = client.get("/").get_data(as_text=True)
    assert "任务“提出公开方案”将于明天到期" in home and f'href="/tasks/{plan_task.id}">查看任务' in home
    response = client.post(f"/notifications/{notice.id}/read", data={"csrf_token": csrf_token(home)})
    assert response.status_code == 302
    assert "将于明天到期" not in client.get("/").get_data(as_text=True)
    session.expire_all()
    assert session.get(Notification, notice.id).read_at == clock.now()


def test_someone_elses_notification_cannot_be_touched(client, session, clock, plan_task):
    notice = notice_for(session, clock, "secretary", "审核已超期")
    sign_in(client, "drafter")
    home = client.get("/").get_data(as_text=True)
    assert "审核已超期" not in home
    response = client.post(f"/notifications/{notice.id}/read", data={"csrf_token": csrf_token(home)}, headers={"Accept": "text/html"})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Notification, notice.id).read_at is None
