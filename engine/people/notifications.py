"""A person's notifications (reminders, escalations, appraisal results): reading them and marking
them read. Only the person they are for sees or touches them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import NotFound
from engine.models import Notification

LISTED = 200


def notifications_of(session: Session, person_id: int, *, unread_only: bool) -> list[Notification]:
    statement = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return list(session.scalars(statement.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(LISTED)))


def mark_read(session: Session, clock: Clock, person_id: int, notification_id: int) -> Notification:
    """Mark one's own notification read (once; marking it again changes nothing) and commit."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.person_id != person_id:
        raise NotFound(f"通知不存在 (notification {notification_id} not found)")
    if notification.read_at is None:
        notification.read_at = clock.now()
        session.commit()
    return notification
