"""民主评议: members of the branch cast their anonymous ballot while it is open, and read their own
grade once it is final.

Only who has voted is kept (one ballot each); what they voted is sealed apart from that and added to
counters in batches of several ballots (processes/democratic_appraisal/ballot.py).
A member reads no one else's grade; those whose role needs the grades read all of them.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.http.services import sealer
from api.routes.schemas import StrictSchema
from engine.errors import NotFound
from processes.democratic_appraisal.ballot import cast_ballot, view_ballot, visible_ballot
from processes.democratic_appraisal.results import AppraisalGrade, appraisal_of, grades_seen_by

blueprint = ApiBlueprint("appraisals", __name__, url_prefix="/api/v1/appraisals", description="民主评议党员 (democratic appraisal)")
blueprint.before_request(authenticate_request)
SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}


class BallotRequest(StrictSchema):
    grades = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=12)),
        values=fields.String(validate=validate.Length(min=1, max=32)),
        required=True,
        validate=validate.Length(max=1000),
    )


class BallotReceiptSchema(Schema):
    instance_id = fields.Integer()
    received = fields.Boolean()
    ballots_cast = fields.Integer()


class BallotSchema(Schema):
    instance_id = fields.Integer()
    status = fields.String()
    appraised_ids = fields.List(fields.Integer())
    voters = fields.Integer()
    ballots_cast = fields.Integer()
    has_voted = fields.Boolean()
    may_vote = fields.Boolean()


@blueprint.get("/<id:instance_id>/ballot")
@blueprint.response(200, BallotSchema)
@blueprint.doc(**SECURED)
def get_ballot(instance_id: int) -> Any:
    """民主测评的状态：是否开放、应投票人数、已投票人数、本人是否已投票（测评期间不显示票数）
    (the ballot's state; no tallies while it is open)"""
    actor = current_actor()
    return view_ballot(db_session(), visible_ballot(db_session(), actor, instance_id), actor.id)


@blueprint.post("/<id:instance_id>/ballots")
@blueprint.arguments(BallotRequest)
@blueprint.response(201, BallotReceiptSchema)
@blueprint.doc(**SECURED)
def post_ballot(body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """无记名投票：为每名被评议党员选择优秀、合格、基本合格或不合格，每人一票
    (cast an anonymous ballot: one grade per appraised member, one ballot each)"""
    actor = current_actor()
    ballot = visible_ballot(db_session(), actor, instance_id)
    if actor.id not in ballot.voter_ids:
        raise ApiError(403, "只有本支部有表决权的正式党员可以参加民主测评 (only full members of the branch with a vote may cast a ballot)")
    cast = cast_ballot(db_session(), sealer(), current_app.extensions["wf_clock"], instance_id, actor.id, body["grades"])
    return {"instance_id": instance_id, "received": True, "ballots_cast": cast}


class GradeSchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    grade = fields.String()
    title = fields.String(metadata={"description": "the grade in Chinese, e.g. 合格"})
    final = fields.Boolean(metadata={"description": "approved and told to the member"})


@blueprint.get("/<id:instance_id>/grades")
@blueprint.response(200, GradeSchema(many=True))
@blueprint.doc(**SECURED)
def get_grades(instance_id: int) -> list[AppraisalGrade]:
    """评定等次：支部书记、党委、纪检和管理员看全部；党员只在结果确定并告知后看本人的
    (the grades: all for those whose role needs them; a member sees only their own, once final)"""
    actor = current_actor()
    return grades_seen_by(db_session(), actor, appraisal_of(db_session(), actor, instance_id))


@blueprint.get("/<id:instance_id>/grades/<id:person_id>")
@blueprint.response(200, GradeSchema)
@blueprint.doc(**SECURED)
def get_grade(instance_id: int, person_id: int) -> AppraisalGrade:
    """一名党员的评定等次 (one member's grade, for whoever may see it)"""
    actor = current_actor()
    grades = grades_seen_by(db_session(), actor, appraisal_of(db_session(), actor, instance_id))
    found = next((grade for grade in grades if grade.person_id == person_id), None)
    if found is None:
        raise NotFound("评定结果不存在或尚未告知 (no grade to show: not given, not final, or not yours)")
    return found
