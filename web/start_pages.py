"""Starting a process in the browser: a drafter proposes a disclosure, a secretary opens a case or
the year's appraisal, in an organisation where they may start one; they land on the first task
if it is theirs, else on the new instance."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from api.http.database import db_session
from api.http.errors import ApiError
from api.http.services import instance_service
from engine.definitions.deployment import latest_versions
from engine.errors import Conflict, InvalidCommand, NotFound
from engine.models import Organization, TaskStatus, UserTask
from engine.people.permissions import Actor, may_work_on, start_scope
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
    form = StartForm()
    form.process_key.choices = [(d.key, f"{d.name or d.key}（{d.key}）") for d in latest_versions(db_session())]
    form.organization_id.choices = [(o.id, o.name) for o in startable_organizations(actor)]
    if not form.organization_id.choices:
        raise ApiError(403, "您没有可以发起流程的组织 (you may not start processes anywhere)")
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("start.html", form=form, message=None), status
    try:
        instance = instance_service().start(
            form.process_key.data,
            form.organization_id.data,
            business_key=form.business_key.data or None,
            actor_id=actor.id,
        )
    except (Conflict, InvalidCommand, NotFound) as refused:
        db_session().rollback()
        return render_template("start.html", form=form, message=refused.message), 409 if isinstance(refused, Conflict) else 422
    mine = [
        task
        for task in db_session().scalars(
            select(UserTask).where(UserTask.instance_id == instance.id, UserTask.status == TaskStatus.OPEN).order_by(UserTask.created_at)
        )
        if may_work_on(actor, task)
    ]
    if mine:
        return redirect(url_for("task_pages.task", task_id=mine[0].id))
    return redirect(url_for("instance_pages.instance", instance_id=instance.id))


def startable_organizations(actor: Actor) -> list[Organization]:
    session = db_session()
    allowed = start_scope(session, actor)
    return list(session.scalars(select(Organization).where(Organization.id.in_(allowed)).order_by(Organization.id)))
