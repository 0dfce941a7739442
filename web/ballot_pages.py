"""民主测评 in the browser: a member of the branch grades the appraised members on one anonymous
ballot. The page sends the grades to the same counting as the API, so the database keeps that the
member voted and, apart from that, sealed grades counted in batches, never who gave which."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from api.http.database import db_session
from api.http.services import sealer
from engine.errors import Conflict, SubmissionRejected
from engine.models import AppraisalBallot
from engine.people.permissions import Actor
from processes.democratic_appraisal.ballot import GRADE_TITLES, GRADES, cast_ballot, view_ballot, visible_ballot
from web.browser_session import signed_in_page
from web.display import display_names

blueprint = Blueprint("ballot_pages", __name__, template_folder="templates")
GRADE_FIELD = "grade-"


class BallotForm(FlaskForm):
    """Only the CSRF token: one radio group per appraised member, named after their id."""


@blueprint.route("/appraisals/<id:instance_id>/ballot", methods=["GET", "POST"])
@signed_in_page
def ballot(actor: Actor, instance_id: int) -> ResponseReturnValue:
    found = visible_ballot(db_session(), actor, instance_id)
    if request.method == "GET":
        return _page(actor, found)
    if not BallotForm().validate_on_submit():
        return _page(actor, found, "请求已过期，请重新提交 (the form expired; please submit again)", 400)
    grades = {name.removeprefix(GRADE_FIELD): value for name, value in request.form.items() if name.startswith(GRADE_FIELD) and value}
    try:
        cast_ballot(db_session(), sealer(), current_app.extensions["wf_clock"], instance_id, actor.id, grades)
    except SubmissionRejected as rejected:
        return _page(actor, found, "；".join(rejected.errors.get("grades", [])) or str(rejected), 422)
    except Conflict as conflict:
        return _page(actor, visible_ballot(db_session(), actor, instance_id), conflict.message, 409)
    flash("您的选票已投出。投票不记名：系统只记录您已投票，不记录您的评定 (your ballot was cast anonymously)")
    return redirect(url_for("ballot_pages.ballot", instance_id=instance_id))


def _page(actor: Actor, found: AppraisalBallot, message: str | None = None, status: int = 200) -> ResponseReturnValue:
    view = view_ballot(db_session(), found, actor.id)
    names = display_names(view.appraised_ids)
    return render_template(
        "ballot.html",
        view=view,
        appraised=[(person_id, names.get(person_id, f"#{person_id}")) for person_id in view.appraised_ids],
        grades=[(grade, GRADE_TITLES[grade]) for grade in GRADES],
        field=GRADE_FIELD,
        csrf=BallotForm(),
        message=message,
    ), status
