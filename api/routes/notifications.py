"""The signed-in person's notifications (reminders, escalations): list and mark as read."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from api.auth import authenticate_request, current_actor
from api.database import db_session
from api.schemas import StrictSchema
from engine.errors import NotFound
from engine.models import Notification

blueprint = Blueprint(
    "notifications", __name__, url_prefix="/api/v1/notifications", description="提醒与通知 (reminders and notices)"
)
blueprint.before_request(authenticate_request)
SECURED = {"security": [{"bearerAuth": []}]}


class NotificationQuery(StrictSchema):
    unread = fields.Boolean(load_default=True)


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    task_id = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


@blueprint.get("")
@blueprint.arguments(NotificationQuery, location="query")
@blueprint.response(200, NotificationSchema(many=True))
@blueprint.doc(**SECURED)
def list_notifications(query: dict[str, Any]) -> list[Notification]:
    """我的提醒：即将到期、已超期的任务 (my notifications: tasks falling due or overdue)"""
    statement = select(Notification).where(Notification.person_id == current_actor().id)
    if query["unread"]:
        statement = statement.where(Notification.read_at.is_(None))
    return list(db_session().scalars(statement.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(200)))


@blueprint.post("/<id:notification_id>/read")
@blueprint.response(200, NotificationSchema)
@blueprint.doc(**SECURED)
def mark_read(notification_id: int) -> Notification:
    """标记为已读 (mark as read)"""
    session = db_session()
    notification = session.get(Notification, notification_id)
    if notification is None or notification.person_id != current_actor().id:
        raise NotFound(f"通知不存在 (notification {notification_id} not found)")
    if notification.read_at is None:
        notification.read_at = current_app.extensions["wf_clock"].now()
        session.commit()
    return notification
