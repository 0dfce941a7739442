"""Working on a task in the browser: the task with what came before it in its instance, its form
rendered from the same definition the engine validates with, the submission that completes it,
claiming it from the group inbox or giving it back, and handing it to another candidate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select

from api.http.database import db_session
from api.http.services import instance_service
from engine.definitions.spec_cache import SpecCache
from engine.errors import Conflict, SubmissionRejected, TaskRefused
from engine.instances.task_forms import TaskForm, task_form
from engine.models import Person, ProcessInstance, TaskStatus, UserTask
from engine.people.organizations import people_of
from engine.people.permissions import (
    Actor,
    candidates_of,
    is_candidate,
    may_act_on_task,
    may_delegate_to,
    may_read_instance,
    visible_task,
)
from forms import FormDefinition
from forms.validation import SCHEMA_ERRORS
from web.browser_session import signed_in_page
from web.display import display_names, named
from web.form_input import shown_value, submission_from_post

blueprint = Blueprint("task_pages", __name__, template_folder="templates")


class TaskActionForm(FlaskForm):
    """Only the CSRF token: a completion's fields come from the task's form definition."""


@dataclass(frozen=True)
class EarlierStep:
    """A finished task of the same instance, as the person now working on it reads it."""

    name: str
    completed_by: str
    completed_at: datetime
    answers: list[tuple[str, str]]


@blueprint.get("/tasks/<task_id>")
@signed_in_page
def task(actor: Actor, task_id: str) -> ResponseReturnValue:
    row = visible_task(db_session(), actor, task_id)
    return _page(actor, row, task_form(db_session(), _specs(), row), values={}, errors={})


@blueprint.post("/tasks/<task_id>")
@signed_in_page
def complete(actor: Actor, task_id: str) -> ResponseReturnValue:
    row = visible_task(db_session(), actor, task_id)
    form = task_form(db_session(), _specs(), row)
    refused = _refused(actor, row, form, _may_act(actor, row), "您不能办理该任务 (you may not complete this task)", request.form)
    if refused is not None:
        return refused
    submission = submission_from_post(form.definition, request.form) if form.definition is not None else {}
    try:
        instance_service().complete_task(task_id, submission, actor_id=actor.id)
    except SubmissionRejected as rejected:
        db_session().rollback()
        return _page(
            actor, row, form, request.form, rejected.errors, "提交的数据有误，请按提示修改 (please correct the fields marked below)", 422
        )
    except TaskRefused as refused_by_step:
        db_session().rollback()
        return _page(actor, row, form, request.form, {}, refused_by_step.message, 422)
    except Conflict as conflict:
        return _conflict(actor, row, conflict)
    flash(f"已办理：{row.name} (completed: {row.name})")
    return redirect(url_for("web.home"))


@blueprint.post("/tasks/<task_id>/claim")
@signed_in_page
def claim(actor: Actor, task_id: str) -> ResponseReturnValue:
    """Take a task offered to one's role, so that it leaves the others' inbox."""
    return _assignment(actor, task_id, claiming=True)


@blueprint.post("/tasks/<task_id>/unclaim")
@signed_in_page
def unclaim(actor: Actor, task_id: str) -> ResponseReturnValue:
    """Give a claimed task back to everyone it is offered to."""
    return _assignment(actor, task_id, claiming=False)


@blueprint.post("/tasks/<task_id>/delegate")
@signed_in_page
def delegate(actor: Actor, task_id: str) -> ResponseReturnValue:
    """Hand the task to another of its candidates (转办)."""
    row = visible_task(db_session(), actor, task_id)
    form = task_form(db_session(), _specs(), row)
    refused = _refused(
        actor, row, form, _may_act(actor, row), "只有认领人或候选人可以转办任务 (only the assignee or a candidate can delegate)"
    )
    if refused is not None:
        return refused
    person_id = request.form.get("person_id", "")
    delegate_to = db_session().get(Person, int(person_id)) if person_id.isdigit() else None
    if delegate_to is None or delegate_to.id == actor.id or not may_delegate_to(db_session(), row, delegate_to):
        return _page(actor, row, form, {}, {}, "只能转办给该任务的其他候选人 (choose another candidate for this task)", 422)
    try:
        instance_service().delegate(task_id, delegate_to.id, actor_id=actor.id)
    except Conflict as conflict:
        return _conflict(actor, row, conflict)
    flash(f"已转办给{delegate_to.display_name}：{row.name} (delegated)")
    return redirect(url_for("web.home"))


def _assignment(actor: Actor, task_id: str, claiming: bool) -> ResponseReturnValue:
    row = visible_task(db_session(), actor, task_id)
    form = task_form(db_session(), _specs(), row)
    allowed = _may_claim(actor, row) if claiming else _may_unclaim(actor, row)
    refused = _refused(actor, row, form, allowed, "您不能认领或退回该任务 (you may not claim or give back this task)")
    if refused is not None:
        return refused
    try:
        if claiming:
            instance_service().claim(task_id, actor_id=actor.id)
        else:
            instance_service().unclaim(task_id, actor_id=actor.id)
    except Conflict as conflict:
        return _conflict(actor, row, conflict)
    flash(f"已认领：{row.name} (claimed)" if claiming else f"已退回：{row.name} (given back)")
    return redirect(url_for("task_pages.task", task_id=task_id))


def _refused(actor: Actor, row: UserTask, form: TaskForm, allowed: bool, refusal: str, values: Any = None) -> ResponseReturnValue | None:
    """What every task command from the page checks first: its CSRF token, then who may act."""
    if not TaskActionForm().validate_on_submit():
        return _page(actor, row, form, values or {}, {}, "请求已过期，请重新提交 (the form expired; please submit again)", 400)
    if not allowed:
        return _page(actor, row, form, values or {}, {}, refusal, 403)
    return None


def _conflict(actor: Actor, row: UserTask, conflict: Conflict) -> ResponseReturnValue:
    """Someone else acted on the task first: show it as it is now, with why nothing was done."""
    db_session().rollback()
    return _page(actor, row, task_form(db_session(), _specs(), row), {}, {}, conflict.message, 409)


def _may_act(actor: Actor, row: UserTask) -> bool:
    return row.status == TaskStatus.OPEN and may_act_on_task(actor, row)


def _may_claim(actor: Actor, row: UserTask) -> bool:
    return row.status == TaskStatus.OPEN and row.assignee_id is None and is_candidate(actor, row)


def _may_unclaim(actor: Actor, row: UserTask) -> bool:
    return row.status == TaskStatus.OPEN and row.assignee_id == actor.id


def _page(
    actor: Actor,
    row: UserTask,
    form: TaskForm,
    values: Any,
    errors: dict[str, list[str]],
    message: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    session = db_session()
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None  # a task row always has its instance (foreign key)
    earlier = _earlier_steps(instance) if may_read_instance(session, actor, instance) else []
    workable = _may_act(actor, row)
    answer_given = (
        answer_lines(form.definition, row.completion_data, display_names(people_named(form.definition, row.completion_data)))
        if row.completion_data
        else []
    )
    assignee = named(display_names([row.assignee_id]), row.assignee_id) if row.assignee_id else None
    asks_for_people = form.definition is not None and any(f.widget == "person" for f in form.definition.fields)
    people = people_of(session, instance.organization_id) if workable and asks_for_people else []
    others = [p for p in candidates_of(session, row) if p.id != actor.id] if workable else []
    return render_template(
        "task.html",
        task=row,
        instance=instance,
        form=form.definition,
        shown=form.shown,
        values=values,
        errors=errors,
        message=message,
        earlier=earlier,
        workable=workable,
        answer_given=answer_given,
        csrf=TaskActionForm(),
        schema_errors=SCHEMA_ERRORS,
        shown_value=shown_value,
        assignee=assignee,
        may_claim=_may_claim(actor, row),
        may_unclaim=_may_unclaim(actor, row),
        people=people,
        delegates=others,
        people_names=dict(people),
    ), status


def _earlier_steps(instance: ProcessInstance) -> list[EarlierStep]:
    session = db_session()
    finished = session.scalars(
        select(UserTask)
        .where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.COMPLETED)
        .order_by(UserTask.completed_at, UserTask.id)
    ).all()
    forms = form_definitions(instance)
    steps = [(row, forms.get(row.form_key) if row.form_key else None) for row in finished]
    names = display_names(
        [row.completed_by_id for row in finished]
        + [person_id for row, definition in steps for person_id in people_named(definition, row.completion_data or {})]
    )
    return [
        EarlierStep(
            name=row.name or row.element_id,
            completed_by=named(names, row.completed_by_id),
            completed_at=row.completed_at or row.created_at,
            answers=answer_lines(definition, row.completion_data or {}, names),
        )
        for row, definition in steps
    ]


def people_named(definition: FormDefinition | None, data: dict[str, Any]) -> list[int]:
    """The person ids an answer holds in the fields that choose people."""
    if definition is None:
        return []
    found: list[int] = []
    for field in definition.fields:
        value = data.get(field.name) if field.widget == "person" else None
        found.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int))
    return found


def answer_lines(definition: FormDefinition | None, data: dict[str, Any], names: dict[int, str]) -> list[tuple[str, str]]:
    """Each answer under its field's title, in the form's order; answers the form lacks by name."""
    if definition is None:
        return [(name, str(value)) for name, value in data.items()]
    fields = {field.name: field for field in definition.fields}
    ordered = [name for name in fields if name in data] + [name for name in data if name not in fields]
    return [
        (fields[name].title, shown_value(fields[name], data[name], names)) if name in fields else (name, str(data[name]))
        for name in ordered
    ]


def form_definitions(instance: ProcessInstance) -> dict[str, FormDefinition]:
    """The forms deployed with the instance's definition, by key."""
    return _specs().forms(db_session(), instance.definition_id)


def _specs() -> SpecCache:
    return current_app.extensions["wf_spec_cache"]
