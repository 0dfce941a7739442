"""Starting a process in the browser, where the policy allows it, landing on one's first task."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.models import Organization, Person, ProcessInstance
from engine.people.permissions import load_actor, may_start_anywhere, may_start_in, start_scope
from tests.helpers.browser import csrf_token, sign_in


def instances(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(ProcessInstance.id)))


def test_a_drafter_proposes_a_disclosure_and_lands_on_the_plan(client, session, demo, plan_task):
    sign_in(client, "drafter")
    page = client.get("/start").get_data(as_text=True)
    assert 'value="disclosure_review"' in page and f'<option value="{demo.branch1.id}">第一党支部</option>' in page
    assert f'value="{demo.branch2.id}"' not in page  # not the other branch
    before = instances(session)
    response = client.post(
        "/start",
        data={
            "csrf_token": csrf_token(page),
            "process_key": "disclosure_review",
            "organization_id": str(demo.branch1.id),
            "business_key": "GK-2026-012",
        },
    )
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    assert instances(session) == before + 1
    newest = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc())).first()
    drafter = session.scalars(select(Person).where(Person.username == "drafter")).one()
    assert (newest.business_key, newest.started_by_id, newest.organization_id) == ("GK-2026-012", drafter.id, demo.branch1.id)
    assert "提出公开方案" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_starting_where_one_may_not_is_refused_and_starts_nothing(client, session, demo, plan_task):
    sign_in(client, "drafter")
    page = client.get("/start").get_data(as_text=True)
    before = instances(session)
    response = client.post(
        "/start",
        data={
            "csrf_token": csrf_token(page),
            "process_key": "disclosure_review",
            "organization_id": str(demo.branch2.id),
        },
    )
    assert response.status_code == 400  # not among the organisations offered
    assert instances(session) == before


def test_an_auditor_is_not_offered_to_start_anything(client, plan_task):
    sign_in(client, "auditor")
    assert "/start" not in client.get("/").get_data(as_text=True)
    assert client.get("/start", headers={"Accept": "text/html"}).status_code == 403


def test_the_organisations_offered_are_exactly_where_the_policy_allows_starting(session, demo):
    everywhere = session.scalars(select(Organization.id)).all()
    for person in session.scalars(select(Person)).all():
        actor = load_actor(session, person)
        allowed = {organization_id for organization_id in everywhere if may_start_in(session, actor, organization_id)}
        assert start_scope(session, actor) == allowed, person.username
        assert may_start_anywhere(actor) == bool(allowed), person.username
