"""The working-day calendar: anyone signed in reads it; an administrator overrides a day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.routes.schemas import StrictSchema
from engine.calendar import WorkCalendar, set_day
from engine.people.permissions import may_change_calendar

blueprint = ApiBlueprint("calendar", __name__, url_prefix="/api/v1/calendar", description="工作日历 (working-day calendar)")
blueprint.before_request(authenticate_request)
SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}
LONGEST_RANGE = timedelta(days=366)


class CalendarQuery(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class DaySchema(Schema):
    date = fields.Date()
    is_workday = fields.Boolean()
    kind = fields.String()
    name = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    provisional = fields.Boolean()


class DayOverride(StrictSchema):
    is_workday = fields.Boolean(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))
    name = fields.String(load_default=None, validate=validate.Length(max=100))


@blueprint.get("")
@blueprint.arguments(CalendarQuery, location="query")
@blueprint.response(200, DaySchema(many=True))
@blueprint.doc(**SECURED)
def list_days(query: dict[str, Any]) -> list[dict[str, Any]]:
    """按日期范围查看工作日历，未发布年份的日期标为临时 (the days of a range; unpublished years are provisional)"""
    current_actor()
    start, end = query["start"], query["end"]
    if end < start or end - start > LONGEST_RANGE:
        raise ApiError(
            422,
            "日期范围须在一年以内且起止有序 (the range must be ordered and at most a year)",
            errors={"end": ["范围无效 (invalid range)"]},
        )
    calendar = WorkCalendar(db_session(), allow_provisional=True)
    return [_describe(calendar, start + timedelta(days=offset)) for offset in range((end - start).days + 1)]


@blueprint.put("/<string:day>")
@blueprint.arguments(DayOverride)
@blueprint.response(200, DaySchema)
@blueprint.doc(**SECURED)
def override_day(body: dict[str, Any], day: str) -> dict[str, Any]:
    """管理员调整某日是否为工作日（留痕审计）(an administrator sets a day; audited)"""
    actor = current_actor()
    if not may_change_calendar(actor):
        raise ApiError(403, "只有管理员可以调整工作日历 (only administrators may change the calendar)")
    try:
        moment = date.fromisoformat(day)
    except ValueError:
        raise ApiError(422, "日期格式应为 YYYY-MM-DD (the date must be YYYY-MM-DD)", errors={"date": [day]}) from None
    session = db_session()
    set_day(
        session,
        current_app.extensions["wf_clock"],
        moment,
        is_workday=body["is_workday"],
        reason=body["reason"],
        name=body["name"],
        actor_id=actor.id,
    )
    session.commit()
    return _describe(WorkCalendar(session, allow_provisional=True), moment)


def _describe(calendar: WorkCalendar, day: date) -> dict[str, Any]:
    status = calendar.day(day)
    return {
        "date": status.date,
        "is_workday": status.is_workday,
        "kind": str(status.kind),
        "name": status.name,
        "source": str(status.source) if status.source else None,
        "provisional": status.provisional,
    }
