"""The signed-in person's notifications (reminders, escalations): list and mark as read."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.request_body import ApiBlueprint
from api.routes.schemas import StrictSchema
from engine.models import Notification
from engine.people.notifications import mark_read as mark_notification_read
from engine.people.notifications import notifications_of

blueprint = ApiBlueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="提醒与通知 (reminders and notices)")
blueprint.before_request(authenticate_request)
SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}


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
    return notifications_of(db_session(), current_actor().id, unread_only=query["unread"])


@blueprint.post("/<id:notification_id>/read")
@blueprint.response(200, NotificationSchema)
@blueprint.doc(**SECURED)
def mark_read(notification_id: int) -> Notification:
    """标记为已读 (mark as read)"""
    return mark_notification_read(db_session(), current_app.extensions["wf_clock"], current_actor().id, notification_id)
