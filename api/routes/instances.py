"""Process instances: start one, read its state and open tasks, read its history, and the
instance-level commands (cancel, suspend, resume)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.http.services import instance_service
from api.routes.schemas import (
    AuditEventSchema,
    InstanceCommandRequest,
    InstanceSchema,
    InstanceSummarySchema,
    StartInstanceRequest,
    StepRecordSchema,
)
from engine.instances.summary import InstanceSummary, instance_summary
from engine.models import AuditEvent, ProcessInstance, StepRecord, TaskStatus, UserTask
from engine.people.permissions import Actor, may_manage_instance, may_read_instance, visible_instance
from engine.timers.projection import pending_timers

blueprint = ApiBlueprint("instances", __name__, url_prefix="/api/v1/process-instances", description="流程实例 (process instances)")
blueprint.before_request(authenticate_request)
SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}


@blueprint.post("")
@blueprint.arguments(StartInstanceRequest)
@blueprint.response(201, InstanceSchema)
@blueprint.doc(**SECURED)
def start_instance(request_body: dict[str, Any]) -> dict[str, Any]:
    """发起流程实例 (start a process instance)"""
    actor = current_actor()
    organization_id = request_body["organization_id"] or _home_organization(actor)
    instance = instance_service().start_by_hand(
        request_body["process_key"],
        organization_id,
        actor=actor,
        business_key=request_body["business_key"],
        data=request_body["data"],
    )
    return describe_instance(instance)


@blueprint.get("/<id:instance_id>")
@blueprint.response(200, InstanceSchema)
@blueprint.doc(**SECURED)
def get_instance(instance_id: int) -> dict[str, Any]:
    """查看流程实例：状态、待办任务、定时器、故障；只参与其中一项任务的人请看 /summary
    (an instance: status, open tasks, timers, incidents; a participant reads its /summary)"""
    return describe_instance(_whole_instance(instance_id))


@blueprint.get("/<id:instance_id>/summary")
@blueprint.response(200, InstanceSummarySchema)
@blueprint.doc(**SECURED)
def get_summary(instance_id: int) -> InstanceSummary:
    """流程概况：流程、组织、业务标识、当前步骤，及本人的任务和本人的填报内容
    (what the case is and where it stands, with one's own tasks and answers)"""
    actor = current_actor()
    return instance_summary(db_session(), visible_instance(db_session(), actor, instance_id), actor)


@blueprint.get("/<id:instance_id>/history")
@blueprint.response(200, AuditEventSchema(many=True))
@blueprint.doc(**SECURED)
def get_history(instance_id: int) -> list[AuditEvent]:
    """流程实例的审计记录，按时间先后 (the instance's audit events, oldest first)"""
    instance = _whole_instance(instance_id)
    return list(db_session().scalars(select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.seq)))


@blueprint.get("/<id:instance_id>/records")
@blueprint.response(200, StepRecordSchema(many=True))
@blueprint.doc(**SECURED)
def get_records(instance_id: int) -> list[StepRecord]:
    """流程实例的办理记录：每个步骤的日期和形成的材料 (the dated record of each step and its documents)"""
    instance = _whole_instance(instance_id)
    return list(db_session().scalars(select(StepRecord).where(StepRecord.instance_id == instance.id).order_by(StepRecord.id)))


@blueprint.post("/<id:instance_id>/cancel")
@blueprint.arguments(InstanceCommandRequest)
@blueprint.response(200, InstanceSchema)
@blueprint.doc(**SECURED)
def cancel_instance(request_body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """撤销流程实例 (cancel an instance)"""
    actor = _instance_manager(instance_id)
    instance = instance_service().cancel(
        instance_id, actor_id=actor.id, reason=request_body["reason"], expected_version=request_body["expected_version"]
    )
    return describe_instance(instance)


@blueprint.post("/<id:instance_id>/suspend")
@blueprint.arguments(InstanceCommandRequest)
@blueprint.response(200, InstanceSchema)
@blueprint.doc(**SECURED)
def suspend_instance(request_body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """挂起流程实例 (suspend an instance)"""
    actor = _instance_manager(instance_id)
    return describe_instance(instance_service().suspend(instance_id, actor_id=actor.id, expected_version=request_body["expected_version"]))


@blueprint.post("/<id:instance_id>/resume")
@blueprint.arguments(InstanceCommandRequest)
@blueprint.response(200, InstanceSchema)
@blueprint.doc(**SECURED)
def resume_instance(request_body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """恢复流程实例 (resume an instance)"""
    actor = _instance_manager(instance_id)
    return describe_instance(instance_service().resume(instance_id, actor_id=actor.id, expected_version=request_body["expected_version"]))


def describe_instance(instance: ProcessInstance) -> dict[str, Any]:
    session = db_session()
    open_tasks = session.scalars(
        select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN).order_by(UserTask.created_at)
    ).all()
    return {
        "id": instance.id,
        "process_key": instance.process_key,
        "definition": instance.definition,
        "organization_id": instance.organization_id,
        "business_key": instance.business_key,
        "status": instance.status.value,
        "version": instance.version,
        "started_at": instance.started_at,
        "started_by_id": instance.started_by_id,
        "ended_at": instance.ended_at,
        "end_event_id": instance.end_event_id,
        "subject_person_id": instance.subject_person_id,
        "rule_set_version": instance.rule_set_version,
        "open_tasks": open_tasks,
        "pending_timers": [
            {"element_id": timer.element_id, "kind": timer.kind.value, "due_at": timer.due_at.isoformat()}
            for timer in pending_timers(session, instance.id)
        ],
        "incidents": instance.incidents,
    }


def _home_organization(actor: Actor) -> int:
    organizations = sorted(actor.organizations())
    if not organizations:
        raise ApiError(422, "请指定 organization_id (organization_id is required)", errors={"organization_id": ["必填项 (required)"]})
    return organizations[0]


def _whole_instance(instance_id: int) -> ProcessInstance:
    """The whole case for those who oversee it; a participant is sent to its summary (403), anyone
    else finds nothing (404)."""
    actor = current_actor()
    instance = visible_instance(db_session(), actor, instance_id)
    if not may_read_instance(db_session(), actor, instance):
        raise ApiError(
            403,
            "您只能查看该流程的概况和本人的任务 (you may read only this case's summary and your own tasks: "
            f"GET /api/v1/process-instances/{instance_id}/summary)",
        )
    return instance


def _instance_manager(instance_id: int) -> Actor:
    actor = current_actor()
    instance = visible_instance(db_session(), actor, instance_id)
    if not may_manage_instance(actor, instance):
        raise ApiError(403, "只有发起人、支部书记或管理员可以操作流程实例 (only the starter, the branch secretary or an admin)")
    return actor
