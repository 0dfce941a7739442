"""Request and response schemas of the JSON API (marshmallow 4)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from engine.text_safety import bidi_control_problem
from processes.disclosure_review.opinion_safeguards import shown_author

# Ids and versions fit a 32-bit integer column everywhere (SQLite and PostgreSQL alike).
MAX_ID = 2**31 - 1


def Identifier(**kwargs: Any) -> fields.Integer:  # noqa: N802  (reads as a field type)
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def no_bidi_controls(value: str) -> None:
    """Identifiers and names must read as what they are."""
    problem = bidi_control_problem(value)
    if problem is not None:
        raise ValidationError(problem)


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class TokenRequest(StrictSchema):
    username = fields.String(required=True, validate=[validate.Length(min=1, max=64), no_bidi_controls])
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class DefinitionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    content_hash = fields.String()
    deployed_at = fields.DateTime()
    files = fields.List(fields.String())


class DeploymentResponse(Schema):
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean()


class DeployForm(Schema):
    # The files themselves are read from request.files; this documents them in OpenAPI.
    file = fields.Raw(metadata={"type": "string", "format": "binary"}, required=True)
    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}))


class StartInstanceRequest(StrictSchema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    organization_id = Identifier(load_default=None)
    business_key = fields.String(load_default=None, validate=[validate.Length(max=200), no_bidi_controls])
    data = fields.Dict(keys=fields.String(), load_default=dict)


class TaskSchema(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    process_key = fields.String()
    element_id = fields.String()
    name = fields.String(allow_none=True)
    candidate_role = fields.String(allow_none=True)
    candidate_organization_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    priority = fields.Integer()
    form_key = fields.String(allow_none=True)
    due_rule = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    follow_up_at = fields.DateTime(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    completed_by_id = fields.Integer(allow_none=True)
    completion_data = fields.Dict(allow_none=True)


class TaskFormSchema(Schema):
    form_key = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True, metadata={"description": "the form definition as deployed (JSON Schema subset)"})
    shown = fields.Dict(metadata={"description": "values of the form's read-only fields, from the task's data"})


class IncidentSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    message = fields.String()
    element_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class InstanceSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    definition_version = fields.Integer(attribute="definition.version")
    organization_id = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    version = fields.Integer()
    started_at = fields.DateTime()
    started_by_id = fields.Integer(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    end_event_id = fields.String(allow_none=True)
    subject_person_id = fields.Integer(allow_none=True)
    rule_set_version = fields.String(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskSchema))
    pending_timers = fields.List(fields.Dict())
    incidents = fields.List(fields.Nested(IncidentSchema))


class InstanceSummarySchema(Schema):
    """A case as a participant sees it: no one else's answers, no history."""

    id = fields.Integer(attribute="instance.id")
    process_key = fields.String(attribute="instance.process_key")
    process_name = fields.String()
    organization_id = fields.Integer(attribute="instance.organization_id")
    organization_name = fields.String()
    business_key = fields.String(attribute="instance.business_key", allow_none=True)
    status = fields.String(attribute="instance.status.value")
    started_at = fields.DateTime(attribute="instance.started_at")
    ended_at = fields.DateTime(attribute="instance.ended_at", allow_none=True)
    current_steps = fields.List(fields.String(), metadata={"description": "names of the steps now open"})
    own_tasks = fields.List(fields.Nested(TaskSchema), metadata={"description": "the reader's own tasks, with their own answers"})


class StepRecordSchema(Schema):
    """One dated step of a procedure as the personal file shows it."""

    id = fields.Integer()
    instance_id = fields.Integer()
    task_id = fields.String()
    subject_person_id = fields.Integer(allow_none=True)
    element_id = fields.String()
    stage = fields.String(allow_none=True)
    step = fields.Integer(allow_none=True)
    title = fields.String()
    documents = fields.List(fields.String())
    record_date = fields.Date()
    details = fields.Raw(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_by_id = fields.Integer(allow_none=True)
    recorded_at = fields.DateTime()


class InstanceCommandRequest(StrictSchema):
    expected_version = Identifier(load_default=None)
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


class AuditEventSchema(Schema):
    seq = fields.Integer()
    occurred_at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    task_id = fields.String(allow_none=True)
    event_type = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    hash = fields.String()


class TaskQuery(StrictSchema):
    scope = fields.String(load_default="group", validate=validate.OneOf(["mine", "group", "all"]))
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "completed", "cancelled", "any"]))
    overdue = fields.Boolean(load_default=None)
    process_key = fields.String(load_default=None)
    organization_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TaskPage(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class CompleteTaskRequest(StrictSchema):
    data = fields.Dict(keys=fields.String(), load_default=dict)
    expected_version = Identifier(load_default=None)
    # Optional guards: a client that names the process or instance it means is told when the
    # task belongs to another one, instead of completing it.
    process_key = fields.String(load_default=None)
    instance_id = Identifier(load_default=None)


class DelegateTaskRequest(StrictSchema):
    person_id = Identifier(required=True)
    expected_version = Identifier(load_default=None)


class TaskCommandRequest(StrictSchema):
    expected_version = Identifier(load_default=None)


class CheckpointSchema(Schema):
    last_seq = fields.Integer()
    last_hash = fields.String()
    keyed_from_seq = fields.Integer()
    # Stored as naive UTC; shown with its offset.
    written_at = fields.Function(
        lambda checkpoint: checkpoint.written_at.replace(tzinfo=UTC).isoformat(), metadata={"type": "string", "format": "date-time"}
    )


class VerifyResponse(Schema):
    ok = fields.Boolean()
    events = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)  # a ChainProblem value; null when ok
    unanchored_events = fields.Integer()  # written before the audit key: intact since, unprovable before
    checkpoint = fields.Nested(CheckpointSchema, allow_none=True)  # the latest one compared with


class DisclosureSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    organization_id = fields.Integer()
    title = fields.String()
    content = fields.String()
    scope = fields.String()
    methods = fields.List(fields.String())
    feedback_days = fields.Integer()
    status = fields.String()
    published_at = fields.DateTime()
    archived_at = fields.DateTime(allow_none=True)


class OpinionRequest(StrictSchema):
    content = fields.String(required=True, validate=[validate.Length(min=1, max=5000), no_bidi_controls])
    is_objection = fields.Boolean(load_default=False)
    author_name = fields.String(load_default=None, validate=[validate.Length(max=100), no_bidi_controls])


class OpinionSchema(Schema):
    id = fields.Integer()
    disclosure_id = fields.Integer()
    author_id = fields.Integer(allow_none=True)
    author_name = fields.Function(
        shown_author, metadata={"description": "the account's name, or the name a member of the public typed, marked unverified"}
    )
    author_verified = fields.Function(lambda opinion: opinion.author_id is not None)
    content = fields.String()
    is_objection = fields.Boolean()
    created_at = fields.DateTime()
