"""Sign in, sign out, and the signed-in person's home page with their inbox."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from api.http.database import db_session
from api.http.errors import ApiError
from api.http.sign_in import check_credentials
from engine.definitions.deployment import latest_versions
from engine.models import TaskStatus, UserTask
from engine.people.accounts import end_sessions
from engine.people.notifications import mark_read, notifications_of
from engine.people.permissions import Actor, inbox_of, may_deploy, may_read_audit
from processes.democratic_appraisal.ballot import ballots_awaiting
from web.browser_session import signed_in, signed_in_page, start_session
from web.pipeline_pages import followed_organizations
from web.start_pages import places_to_start

blueprint = Blueprint("web", __name__, template_folder="templates")


class SignInForm(FlaskForm):
    username = StringField("用户名 (username)", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码 (password)", validators=[DataRequired(), Length(max=256)])


class SignOutForm(FlaskForm):
    """Only a CSRF token: signing out (or marking a notice read) is a POST a foreign page cannot forge."""


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = SignInForm()
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            person = check_credentials(form.username.data or "", form.password.data or "")
        except ApiError as refused:
            error, status, headers = refused.message, (429 if refused.status == 429 else 400), refused.headers
        else:
            start_session(person)
            return redirect(url_for("web.home"))
    elif form.errors:
        error, status = "请求已过期或不完整，请重新提交 (the form expired or is incomplete; please submit again)", 400
    return render_template("login.html", form=form, error=error), status, headers


@blueprint.post("/logout")
def logout() -> ResponseReturnValue:
    if not SignOutForm().validate_on_submit():
        return render_template(
            "message.html",
            title="无法退出 (cannot sign out)",
            message="请求已过期，请返回重试 (the request expired; go back and try again)",
        ), 400
    person = signed_in()
    if person is not None:  # every session of theirs ends, not only this cookie
        end_sessions(db_session(), person, clock=current_app.extensions["wf_clock"])
        db_session().commit()
    session.clear()
    return redirect(url_for("web.login"))


@blueprint.get("/")
@signed_in_page
def home(actor: Actor) -> ResponseReturnValue:
    return render_template(
        "home.html",
        person=actor.person,
        tasks=_inbox(actor),
        sign_out=SignOutForm(),
        clock_now=current_app.extensions["wf_clock"].now(),
        reads_audit=may_read_audit(actor),
        deploys=may_deploy(actor),
        ballots=ballots_awaiting(db_session(), actor),
        pipelines=followed_organizations(actor),
        starts=bool(places_to_start(actor)),
        notifications=notifications_of(db_session(), actor.id, unread_only=True),
        process_names={d.key: d.name or d.key for d in latest_versions(db_session())},
    )


def _inbox(actor: Actor) -> list[UserTask]:
    statement = (
        select(UserTask)
        .where(UserTask.status == TaskStatus.OPEN, inbox_of(actor))
        .order_by(UserTask.overdue.desc(), UserTask.due_at, UserTask.priority.desc(), UserTask.created_at)
        .limit(100)
    )
    return list(db_session().scalars(statement))


@blueprint.post("/notifications/<id:notification_id>/read")
@signed_in_page
def notification_read(actor: Actor, notification_id: int) -> ResponseReturnValue:
    if not SignOutForm().validate_on_submit():
        return render_template("message.html", title="请求已过期 (the request expired)", message="请返回重试 (go back and try again)"), 400
    mark_read(db_session(), current_app.extensions["wf_clock"], actor.id, notification_id)
    return redirect(url_for("web.home"))
