"""People's records: read only by themselves, by those whose role needs them (branch secretaries,
committee members, process owners) over their organisation and below, by auditors and
administrators; every read of someone else's record is logged for the auditors."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import select

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.request_body import ApiBlueprint
from engine.audit import append_event
from engine.errors import NotFound
from engine.models import Person, RoleAssignment
from engine.people.permissions import may_read_person

blueprint = ApiBlueprint("people", __name__, url_prefix="/api/v1/people", description="人员 (people)")
blueprint.before_request(authenticate_request)


class RoleSchema(Schema):
    organization_id = fields.Integer()
    role = fields.String()


class PersonSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.Nested(RoleSchema))


@blueprint.get("/<id:person_id>")
@blueprint.response(200, PersonSchema)
@blueprint.doc(security=[{"bearerAuth": []}])
def get_person(person_id: int) -> dict[str, Any]:
    """查看人员信息（他人信息的每次查看都记入审计）(a person's record; reads by others are audited)"""
    actor = current_actor()
    session = db_session()
    person = session.get(Person, person_id)
    roles = list(session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == person_id)))
    if person is None or not may_read_person(session, actor, person.id, [r.organization_id for r in roles]):
        raise NotFound(f"人员不存在 (person {person_id} not found)")
    if person.id != actor.id:
        append_event(
            session,
            current_app.extensions["wf_clock"],
            "person.read",
            actor_id=actor.id,
            after={"person_id": person.id, "fields": ["username", "display_name", "roles"]},
        )
        session.commit()
    return {
        "id": person.id,
        "username": person.username,
        "display_name": person.display_name,
        "roles": [{"organization_id": r.organization_id, "role": str(r.role)} for r in roles],
    }
