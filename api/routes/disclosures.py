"""What was published: disclosures readable by scope (public ones without signing in), and the
opinions members and the public leave during the feedback window."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from sqlalchemy import select

from api.http.bearer_auth import authenticate_if_present
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.rate_limiting import refuse_when_too_frequent
from api.http.request_body import ApiBlueprint
from api.routes.schemas import DisclosureSchema, OpinionRequest, OpinionSchema
from engine.errors import NotFound
from engine.models import Disclosure, DisclosureOpinion, DisclosureScope
from processes.disclosure_review.disclosures import leave_opinion, readable_disclosures
from processes.disclosure_review.opinion_safeguards import opinion_limits

blueprint = ApiBlueprint("disclosures", __name__, url_prefix="/api/v1/disclosures", description="已公开事项 (published disclosures)")
blueprint.before_request(authenticate_if_present)


@blueprint.get("")
@blueprint.response(200, DisclosureSchema(many=True))
def list_disclosures() -> list[Disclosure]:
    """已公开事项，按公开范围可见 (published disclosures you may read)"""
    statement = readable_disclosures(db_session(), _reader_id())
    return list(db_session().scalars(statement.order_by(Disclosure.published_at.desc())))


@blueprint.get("/<id:disclosure_id>")
@blueprint.response(200, DisclosureSchema)
def get_disclosure(disclosure_id: int) -> Disclosure:
    """查看公开事项 (one disclosure)"""
    return _readable(disclosure_id)


@blueprint.get("/<id:disclosure_id>/opinions")
@blueprint.response(200, OpinionSchema(many=True))
def list_opinions(disclosure_id: int) -> list[DisclosureOpinion]:
    """公开事项收到的意见 (opinions on a disclosure)"""
    disclosure = _readable(disclosure_id)
    if _reader_id() is None:
        raise ApiError(401, "查看意见需要登录 (sign in to read opinions)")
    statement = select(DisclosureOpinion).where(DisclosureOpinion.disclosure_id == disclosure.id)
    return list(db_session().scalars(statement.order_by(DisclosureOpinion.id)))


@blueprint.post("/<id:disclosure_id>/opinions")
@blueprint.arguments(OpinionRequest)
@blueprint.response(201, OpinionSchema)
def add_opinion(body: dict[str, Any], disclosure_id: int) -> DisclosureOpinion:
    """在意见反馈期内提出意见或异议 (leave an opinion or objection during the feedback window)"""
    disclosure = _readable(disclosure_id)
    reader = _reader_id()
    if reader is None and disclosure.scope != DisclosureScope.SOCIETY:
        raise ApiError(401)
    refuse_when_too_frequent(opinion_limits(disclosure.id), reader)
    session = db_session()
    opinion = leave_opinion(
        session,
        current_app.extensions["wf_clock"],
        disclosure,
        body["content"],
        body["is_objection"],
        author_id=reader,
        author_name=body["author_name"],
    )
    session.commit()
    return opinion


def _reader_id() -> int | None:
    actor = g.get("actor")
    return actor.id if actor is not None else None


def _readable(disclosure_id: int) -> Disclosure:
    statement = readable_disclosures(db_session(), _reader_id()).where(Disclosure.id == disclosure_id)
    disclosure = db_session().scalars(statement).first()
    if disclosure is None:
        raise NotFound(f"公开事项不存在或不在您的可见范围内 (disclosure {disclosure_id} not found)")
    return disclosure
