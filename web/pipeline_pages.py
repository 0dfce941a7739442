"""发展党员 progress for those who follow people's cases (组织员, 支部书记, 党委委员, auditors): how many
cases wait at each stage and step, and the deadlines due within 30 days or already passed, each
linked to its task or case. Reading it is audited, as through the API."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from api.http.database import db_session
from api.http.errors import ApiError
from engine.errors import NotFound
from engine.models import Organization
from engine.people.permissions import Actor, may_follow_cases
from processes.member_development.pipeline import read_pipeline
from web.browser_session import signed_in_page

blueprint = Blueprint("pipeline_pages", __name__, template_folder="templates")


@blueprint.get("/organizations/<id:organization_id>/pipeline")
@signed_in_page
def pipeline(actor: Actor, organization_id: int) -> ResponseReturnValue:
    session = db_session()
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"组织不存在 (organization {organization_id} not found)")
    if not may_follow_cases(session, actor, organization_id):
        raise ApiError(403, "只有组织员、支部书记、党委委员、纪检委员和管理员可以查看发展党员进度 (personnel roles only)")
    extensions = current_app.extensions
    progress = read_pipeline(session, extensions["wf_spec_cache"], extensions["wf_clock"], actor.id, organization_id)
    return render_template("pipeline.html", organization=organization, pipeline=progress)


def followed_organizations(actor: Actor) -> list[Organization]:
    """The organisations whose pipeline the inbox offers: those where the actor follows cases."""
    session = db_session()
    followed = [o for o in sorted(actor.organizations()) if may_follow_cases(session, actor, o)]
    return [organization for o in followed if (organization := session.get(Organization, o)) is not None]
