"""An organisation's view of its cases and its choices: the 发展党员 pipeline, and which regulation
version new instances of each rule set follow."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from marshmallow import Schema, fields, validate
from sqlalchemy.orm.attributes import flag_modified

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.http.services import process_extensions
from api.routes.schemas import StrictSchema
from engine.audit import append_event
from engine.calendar.due_rules import to_beijing_date
from engine.errors import NotFound
from engine.models import Organization
from engine.people.permissions import may_choose_rule_sets, may_follow_cases
from engine.procedures.rule_set_choice import choose_version
from processes.member_development.pipeline import read_pipeline

blueprint = ApiBlueprint(
    "organizations", __name__, url_prefix="/api/v1/organizations", description="组织：发展党员进度、规则版本 (organisations)"
)
blueprint.before_request(authenticate_request)
SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}
RULE_SET_NAME = r"^[a-z][a-z_]{0,63}$"


class PipelineStepSchema(Schema):
    step = fields.Integer(allow_none=True)
    title = fields.String()
    count = fields.Integer()


class PipelineStageSchema(Schema):
    stage = fields.String()
    title = fields.String()
    title_en = fields.String()
    count = fields.Integer()
    steps = fields.List(fields.Nested(PipelineStepSchema))


class DeadlineSchema(Schema):
    instance_id = fields.Integer()
    organization_id = fields.Integer()
    person_id = fields.Integer(allow_none=True)
    person_name = fields.String(allow_none=True)
    element_id = fields.String()
    title = fields.String()
    due_at = fields.DateTime()
    task_id = fields.String(allow_none=True)


class PipelineSchema(Schema):
    organization_id = fields.Integer()
    as_of = fields.DateTime()
    cases = fields.Integer()
    stages = fields.List(fields.Nested(PipelineStageSchema))
    due_soon = fields.List(fields.Nested(DeadlineSchema))
    overdue = fields.List(fields.Nested(DeadlineSchema))


class RuleSetChoiceSchema(Schema):
    rule_set = fields.String()
    title = fields.String()
    versions = fields.List(fields.String())
    chosen = fields.String(allow_none=True)
    in_force = fields.String()
    applies = fields.String()


class ChooseRuleSetRequest(StrictSchema):
    version = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=16))


@blueprint.get("/<id:organization_id>/pipeline")
@blueprint.response(200, PipelineSchema)
@blueprint.doc(**SECURED)
def get_pipeline(organization_id: int) -> dict[str, Any]:
    """发展党员进度：各阶段、各步骤人数，30天内到期和已逾期的期限 (the development pipeline)"""
    session, actor = db_session(), current_actor()
    _organization(organization_id)
    if not may_follow_cases(session, actor, organization_id):
        raise ApiError(403, "只有组织员、支部书记、党委委员、纪检委员和管理员可以查看发展党员进度 (personnel roles only)")
    extensions = current_app.extensions
    return read_pipeline(session, extensions["wf_spec_cache"], extensions["wf_clock"], actor.id, organization_id)


@blueprint.get("/<id:organization_id>/rule-sets/<string:rule_set>")
@blueprint.response(200, RuleSetChoiceSchema)
@blueprint.doc(**SECURED)
def get_rule_set_choice(organization_id: int, rule_set: str) -> dict[str, Any]:
    """组织采用的规则版本 (which regulation version new instances follow here)"""
    return _describe(_organization(organization_id), _known_rule_set(rule_set))


@blueprint.put("/<id:organization_id>/rule-sets/<string:rule_set>")
@blueprint.arguments(ChooseRuleSetRequest)
@blueprint.response(200, RuleSetChoiceSchema)
@blueprint.doc(**SECURED)
def choose_rule_set(body: dict[str, Any], organization_id: int, rule_set: str) -> dict[str, Any]:
    """选择新发起流程采用的规则版本；null 表示采用现行版本。已发起的流程不受影响 (choose the version; running instances keep theirs)"""
    session, actor = db_session(), current_actor()
    organization = _organization(organization_id)
    rule_set = _known_rule_set(rule_set)
    if not may_choose_rule_sets(session, actor, organization_id):
        raise ApiError(403, "只有组织员或管理员可以选择规则版本 (process owners and administrators only)")
    version = body["version"]
    versions = process_extensions().rule_sets.versions(rule_set)
    if version is not None and version not in versions:
        raise ApiError(422, f"规则集 {rule_set} 没有版本 {version} (no such version)", errors={"version": [f"可选：{'、'.join(versions)}"]})
    choices = dict(organization.rule_set_choices or {})
    before = choices.get(rule_set)
    if version is None:
        choices.pop(rule_set, None)
    else:
        choices[rule_set] = version
    organization.rule_set_choices = choices
    flag_modified(organization, "rule_set_choices")
    append_event(
        session,
        current_app.extensions["wf_clock"],
        "organization.rule_set_chosen",
        actor_id=actor.id,
        organization_id=organization_id,
        before={rule_set: before},
        after={rule_set: version},
    )
    session.commit()
    return _describe(organization, rule_set)


def _describe(organization: Organization, rule_set: str) -> dict[str, Any]:
    today = to_beijing_date(current_app.extensions["wf_clock"].now())
    rule_sets = process_extensions().rule_sets
    in_force = rule_sets.version_in_force(rule_set, today)
    return {
        "rule_set": rule_set,
        "title": rule_sets.load(rule_set, in_force).title,
        "versions": rule_sets.versions(rule_set),
        "chosen": (organization.rule_set_choices or {}).get(rule_set),
        "in_force": in_force,
        "applies": choose_version(rule_sets, rule_set, organization, None, today),
    }


def _organization(organization_id: int) -> Organization:
    organization = db_session().get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"组织不存在 (organization {organization_id} not found)")
    return organization


def _known_rule_set(name: str) -> str:
    if not re.fullmatch(RULE_SET_NAME, name) or not process_extensions().rule_sets.versions(name):
        raise NotFound(f"没有规则集 {name[:64]} (no rule set named {name[:64]!r})")
    return name
