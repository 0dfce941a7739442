"""民主测评: members of the branch cast their anonymous ballot while it is open.

Only who has voted is kept (one ballot each); what they voted is added to counters and nowhere else.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.routes.schemas import StrictSchema
from processes.democratic_appraisal.ballot import cast_ballot_and_commit, view_ballot, visible_ballot

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
    cast = cast_ballot_and_commit(db_session(), current_app.extensions["wf_clock"], instance_id, actor.id, body["grades"])
    return {"instance_id": instance_id, "received": True, "ballots_cast": cast}
