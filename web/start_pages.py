"""Starting a process in the browser: a drafter proposes a disclosure, a secretary opens a case or
the year's appraisal, in an organisation where they may start one; they land on the first task
if it is theirs, else on the new instance. The page offers only the processes the person may start
and the organisations where they may (engine/people/start_rights.py, as the API asks)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from api.http.database import db_session
from api.http.errors import ApiError
from api.http.services import instance_service, process_extensions
from engine.definitions.deployment import latest_versions
from engine.errors import Conflict, Forbidden, InvalidCommand, NotFound, SubmissionRejected
from engine.models import Organization, TaskStatus, UserTask
from engine.people.permissions import Actor, may_act_on_task
from engine.people.start_rights import startable_places
from web.browser_session import signed_in_page
from web.text_checks import no_bidi_controls

blueprint = Blueprint("start_pages", __name__, template_folder="templates")


class StartForm(FlaskForm):
    process_key = SelectField("流程 (process)", validators=[DataRequired()])
    organization_id = SelectField("组织 (organisation)", coerce=int, validators=[DataRequired()])
    business_key = StringField("业务标识（可不填）(business key, optional)", validators=[Optional(), Length(max=200), no_bidi_controls])


@blueprint.route("/start", methods=["GET", "POST"])
@signed_in_page
def start(actor: Actor) -> ResponseReturnValue:
    names = {d.key: d.name or d.key for d in latest_versions(db_session())}
    places = places_to_start(actor)
    if not places:
        raise ApiError(403, "您没有可以发起的流程 (there is no process you may start anywhere)")
    form = StartForm()
    form.process_key.choices = [(key, f"{names[key]}（{key}）") for key in places]
    organizations = {o.id: o for allowed in places.values() for o in allowed}
    form.organization_id.choices = [(o.id, o.name) for o in sorted(organizations.values(), key=lambda o: o.id)]
    where = [(names[key], "、".join(o.name for o in allowed)) for key, allowed in places.items()]
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("start.html", form=form, where=where, message=None), status
    try:
        instance = instance_service().start_by_hand(
            form.process_key.data,
            form.organization_id.data,
            actor=actor,
            business_key=form.business_key.data or None,
        )
    except (Conflict, Forbidden, InvalidCommand, NotFound, SubmissionRejected) as refused:
        db_session().rollback()
        return render_template("start.html", form=form, where=where, message=_refusal_text(refused)), _REFUSAL_STATUS.get(
            type(refused), 422
        )
    mine = [
        task
        for task in db_session().scalars(
            select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN).order_by(UserTask.created_at)
        )
        if may_act_on_task(actor, task)
    ]
    if mine:
        return redirect(url_for("task_pages.task", task_id=mine[0].id))
    return redirect(url_for("instance_pages.instance", instance_id=instance.id))


_REFUSAL_STATUS: dict[type[Exception], int] = {Conflict: 409, Forbidden: 403}


def places_to_start(actor: Actor) -> dict[str, list[Organization]]:
    """Each deployed process the person may start, with the organisations where they may."""
    session = db_session()
    keys = [definition.key for definition in latest_versions(session)]
    return startable_places(session, actor, keys, process_extensions().start_rules)


def _refusal_text(refused: Conflict | Forbidden | InvalidCommand | NotFound | SubmissionRejected) -> str:
    if isinstance(refused, SubmissionRejected):
        return "；".join(problem for problems in refused.errors.values() for problem in problems)
    return refused.message
