"""What was published, for members and the public: the disclosures a reader may see (public ones
without signing in), each with the form for an opinion or objection while feedback is open."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from api.http.database import db_session
from api.http.rate_limiting import refuse_when_too_frequent
from engine.errors import NotFound
from engine.models import Disclosure, DisclosureScope, DisclosureStatus, Organization
from processes.disclosure_review.disclosures import leave_opinion, readable_disclosures
from processes.disclosure_review.opinion_safeguards import opinion_limits
from web.browser_session import signed_in
from web.text_checks import no_bidi_controls

blueprint = Blueprint("disclosure_pages", __name__, template_folder="templates")

SCOPE_TITLES = {
    DisclosureScope.SOCIETY: "向社会公开 (to society)",
    DisclosureScope.WHOLE_PARTY: "在全党公开 (within the whole Party)",
    DisclosureScope.LOCAL: "在本地区、本部门、本单位公开 (within this unit)",
    DisclosureScope.SPECIFIC: "对特定党的组织、党员和群众公开 (to specific organisations and people)",
}
STATUS_TITLES = {
    DisclosureStatus.PUBLISHED: "公开中，可提意见 (published, open for feedback)",
    DisclosureStatus.UNDER_REVIEW: "复核中 (under review)",
    DisclosureStatus.ARCHIVED: "已归档 (archived)",
}


class OpinionForm(FlaskForm):
    content = TextAreaField(
        "意见内容 (your opinion)", validators=[DataRequired("请填写意见内容 (required)"), Length(max=5000), no_bidi_controls]
    )
    is_objection = BooleanField("这是异议 (this is an objection)")
    author_name = StringField("姓名（可不填）(your name, optional)", validators=[Optional(), Length(max=100), no_bidi_controls])


@blueprint.get("/disclosures")
def disclosures() -> ResponseReturnValue:
    session = db_session()
    reader = signed_in()
    listed = session.scalars(
        readable_disclosures(session, reader.id if reader else None).order_by(Disclosure.published_at.desc()).limit(200)
    ).all()
    return render_template(
        "disclosures.html",
        disclosures=listed,
        reader=reader,
        scopes=SCOPE_TITLES,
        organizations=_organization_names({d.organization_id for d in listed}),
    )


@blueprint.route("/disclosures/<id:disclosure_id>", methods=["GET", "POST"])
def disclosure(disclosure_id: int) -> ResponseReturnValue:
    session = db_session()
    reader = signed_in()
    found = session.scalars(readable_disclosures(session, reader.id if reader else None).where(Disclosure.id == disclosure_id)).first()
    if found is None:
        raise NotFound(f"公开事项不存在或不在您的可见范围内 (disclosure {disclosure_id} not found)")
    # The public may answer what was published to society; anything narrower needs a signed-in reader.
    may_answer = found.status == DisclosureStatus.PUBLISHED and (reader is not None or found.scope == DisclosureScope.SOCIETY)
    form = OpinionForm()
    if may_answer and form.validate_on_submit():
        refuse_when_too_frequent(opinion_limits(found.id), reader.id if reader else None)
        leave_opinion(
            session,
            current_app.extensions["wf_clock"],
            found,
            form.content.data or "",
            bool(form.is_objection.data),
            author_id=reader.id if reader else None,
            author_name=form.author_name.data or None,
        )
        session.commit()
        flash("意见已提交，感谢您的反馈 (your opinion was received)")
        return redirect(url_for("disclosure_pages.disclosure", disclosure_id=found.id))
    status = 400 if form.errors else 200
    return render_template(
        "disclosure.html",
        disclosure=found,
        form=form if may_answer else None,
        reader=reader,
        scope=SCOPE_TITLES[found.scope],
        status=STATUS_TITLES[found.status],
        organization=_organization_names({found.organization_id}).get(found.organization_id, ""),
    ), status


def _organization_names(organization_ids: set[int]) -> dict[int, str]:
    if not organization_ids:
        return {}
    rows = db_session().execute(select(Organization.id, Organization.name).where(Organization.id.in_(organization_ids)))
    return {organization_id: name for organization_id, name in rows}
