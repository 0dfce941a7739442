"""The task inbox: list with filters and pagination; claim, unclaim, delegate, complete."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.http.services import instance_service
from api.routes.schemas import (
    CompleteTaskRequest,
    DelegateTaskRequest,
    TaskCommandRequest,
    TaskFormSchema,
    TaskPage,
    TaskQuery,
    TaskSchema,
)
from engine.instances.task_forms import task_form
from engine.models import Person, TaskStatus, UserTask
from engine.people.permissions import Actor, inbox_of, is_candidate, may_act_on_task, may_delegate_to, tasks_seen_by, visible_task

blueprint = ApiBlueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="待办任务 (the task inbox)")
blueprint.before_request(authenticate_request)
SECURED: dict[str, Any] = {"security": [{"bearerAuth": []}]}


@blueprint.get("")
@blueprint.arguments(TaskQuery, location="query")
@blueprint.response(200, TaskPage)
@blueprint.doc(**SECURED)
def list_tasks(query: dict[str, Any]) -> dict[str, Any]:
    """待办任务列表：scope=mine|group，可按状态、超期、流程、组织筛选，分页 (the inbox, filtered and paginated)"""
    actor = current_actor()
    statement = _filtered(_visible_to(actor, query["scope"]), query)
    session = db_session()
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    page, per_page = query["page"], query["per_page"]
    items = session.scalars(
        statement.order_by(UserTask.priority.desc(), UserTask.created_at, UserTask.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@blueprint.get("/<task_id>")
@blueprint.response(200, TaskSchema)
@blueprint.doc(**SECURED)
def get_task(task_id: str) -> UserTask:
    """查看任务 (one task)"""
    return visible_task(db_session(), current_actor(), task_id)


@blueprint.get("/<task_id>/form")
@blueprint.response(200, TaskFormSchema)
@blueprint.doc(**SECURED)
def get_task_form(task_id: str) -> dict[str, Any]:
    """任务表单：表单定义及其只读字段的值 (the task's form, and the values of its read-only fields)"""
    task = visible_task(db_session(), current_actor(), task_id)
    form = task_form(db_session(), current_app.extensions["wf_spec_cache"], task)
    return {
        "form_key": task.form_key,
        "form": dict(form.definition.raw) if form.definition is not None else None,
        "shown": form.shown,
    }


@blueprint.post("/<task_id>/claim")
@blueprint.arguments(TaskCommandRequest)
@blueprint.response(200, TaskSchema)
@blueprint.doc(**SECURED)
def claim_task(body: dict[str, Any], task_id: str) -> UserTask:
    """认领任务 (claim a task)"""
    actor = current_actor()
    task = visible_task(db_session(), actor, task_id)
    if task.assignee_id is None and not is_candidate(actor, task):
        raise ApiError(403, "您不是该任务的候选人 (you are not a candidate for this task)")
    return instance_service().claim(task_id, actor_id=actor.id, expected_version=body["expected_version"])


@blueprint.post("/<task_id>/unclaim")
@blueprint.arguments(TaskCommandRequest)
@blueprint.response(200, TaskSchema)
@blueprint.doc(**SECURED)
def unclaim_task(body: dict[str, Any], task_id: str) -> UserTask:
    """退回认领 (give a claimed task back)"""
    actor = current_actor()
    task = visible_task(db_session(), actor, task_id)
    if task.assignee_id not in (None, actor.id):
        raise ApiError(403, "只有认领人可以退回任务 (only the assignee can unclaim)")
    return instance_service().unclaim(task_id, actor_id=actor.id, expected_version=body["expected_version"])


@blueprint.post("/<task_id>/delegate")
@blueprint.arguments(DelegateTaskRequest)
@blueprint.response(200, TaskSchema)
@blueprint.doc(**SECURED)
def delegate_task(body: dict[str, Any], task_id: str) -> UserTask:
    """转办任务 (delegate a task to another person)"""
    actor = current_actor()
    task = visible_task(db_session(), actor, task_id)
    if not may_act_on_task(actor, task):
        raise ApiError(403, "只有认领人或候选人可以转办任务 (only the assignee or a candidate can delegate)")
    if not may_delegate_to(db_session(), task, db_session().get(Person, body["person_id"])):
        raise ApiError(
            422,
            "只能转办给该任务的候选人 (a task can only be delegated to one of its candidates)",
            code="validation_failed",
            errors={"person_id": ["不是该任务的候选人 (not a candidate for this task)"]},
        )
    return instance_service().delegate(task_id, body["person_id"], actor_id=actor.id, expected_version=body["expected_version"])


@blueprint.post("/<task_id>/complete")
@blueprint.arguments(CompleteTaskRequest)
@blueprint.response(200, TaskSchema)
@blueprint.doc(**SECURED)
def complete_task(body: dict[str, Any], task_id: str) -> UserTask:
    """办理任务：按表单校验提交的数据 (complete a task; the data is checked against its form)"""
    actor = current_actor()
    task = visible_task(db_session(), actor, task_id)
    if (body["process_key"] not in (None, task.process_key)) or (body["instance_id"] not in (None, task.instance_id)):
        raise ApiError(
            422,
            "该任务属于另一个流程 (the task belongs to another process or instance)",
            code="task_mismatch",
            errors={"task_id": [task_id]},
        )
    if task.status == TaskStatus.OPEN and not may_act_on_task(actor, task):
        raise ApiError(403, "您不能办理该任务 (you may not complete this task)")
    instance_service().complete_task(task_id, body["data"], actor_id=actor.id, expected_version=body["expected_version"])
    return db_session().get_one(UserTask, task_id)


def _visible_to(actor: Actor, scope: str) -> Select[UserTask]:
    mine = or_(UserTask.assignee_id == actor.id, UserTask.completed_by_id == actor.id)
    if scope == "mine":
        condition = mine
    elif scope == "group":
        condition = inbox_of(actor)
    else:
        condition = tasks_seen_by(actor)
    return select(UserTask).where(condition)


def _filtered(statement: Select[UserTask], query: dict[str, Any]) -> Select[UserTask]:
    if query["state"] != "any":
        statement = statement.where(UserTask.status == TaskStatus(query["state"]))
    if query["process_key"]:
        statement = statement.where(UserTask.process_key == query["process_key"])
    if query["organization_id"] is not None:
        statement = statement.where(UserTask.candidate_organization_id == query["organization_id"])
    if query["overdue"] is not None:
        now = current_app.extensions["wf_clock"].now()
        overdue = and_(UserTask.due_at.is_not(None), UserTask.due_at < now, UserTask.status == TaskStatus.OPEN)
        on_time = or_(UserTask.due_at.is_(None), UserTask.due_at >= now, UserTask.status != TaskStatus.OPEN)
        statement = statement.where(overdue if query["overdue"] else on_time)
    return statement
