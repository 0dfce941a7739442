"""Starting a process in the browser, where the policy allows it, landing on one's first task."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from engine.models import Organization, Person, ProcessInstance, Role, RoleAssignment
from engine.people.permissions import load_actor
from engine.people.start_rights import may_start, startable_places
from processes import EXTENSIONS
from tests.helpers.browser import csrf_token, post_start, sign_in
from tests.helpers.paths import PROCESSES


def instances(session) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(ProcessInstance.id)))


def test_a_drafter_proposes_a_disclosure_and_lands_on_the_plan(client, session, demo, plan_task):
    sign_in(client, "drafter")
    page = client.get("/start").get_data(as_text=True)
    assert 'value="disclosure_review"' in page and f'<option value="{demo.branch1.id}">第一党支部</option>' in page
    assert f'value="{demo.branch2.id}"' not in page  # not the other branch
    before = instances(session)
    response = post_start(client, page, "disclosure_review", demo.branch1.id, "GK-2026-012")
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
    response = post_start(client, page, "disclosure_review", demo.branch2.id)
    assert response.status_code == 400  # not among the organisations offered
    assert instances(session) == before


def test_an_auditor_is_not_offered_to_start_anything(client, plan_task):
    sign_in(client, "auditor")
    assert "/start" not in client.get("/").get_data(as_text=True)
    assert client.get("/start", headers={"Accept": "text/html"}).status_code == 403


def test_the_places_offered_are_exactly_where_the_start_rules_allow_starting(session, demo):
    everywhere = session.scalars(select(Organization.id)).all()
    keys = [*EXTENSIONS.start_rules, "a_process_no_package_declares"]
    for person in session.scalars(select(Person)).all():
        actor = load_actor(session, person)
        offered = {key: {o.id for o in places} for key, places in startable_places(session, actor, keys, EXTENSIONS.start_rules).items()}
        allowed = {key: {o for o in everywhere if may_start(session, actor, key, o, EXTENSIONS.start_rules)} for key in keys}
        assert offered == {key: places for key, places in allowed.items() if places}, person.username


def deploy_package(client, login, key: str) -> None:  # type: ignore[no-untyped-def]
    upload: dict[str, Any] = {"file": (io.BytesIO((PROCESSES / key / f"{key}.bpmn").read_bytes()), f"{key}.bpmn")}
    upload["files"] = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted((PROCESSES / key).glob("*.dmn"))]
    response = client.post("/api/v1/process-definitions", data=upload, headers=login("owner"), content_type="multipart/form-data")
    assert response.status_code in (200, 201), response.json


def test_each_person_is_offered_only_what_they_may_start_and_where(client, login, demo, plan_task):
    deploy_package(client, login, "member_disposition")
    sign_in(client, "drafter")
    page = client.get("/start").get_data(as_text=True)
    assert 'value="disclosure_review"' in page and 'value="member_disposition"' not in page
    assert f'value="{demo.group1.id}"' not in page  # no disclosure in a 党小组
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    sign_in(client, "secretary")
    page = client.get("/start").get_data(as_text=True)
    assert 'value="disclosure_review"' in page and 'value="member_disposition"' in page


def test_a_plain_member_is_offered_nothing_and_cannot_open_a_disposition_case(client, login, session, demo, plan_task):
    deploy_package(client, login, "member_disposition")
    sign_in(client, "member1")
    assert "/start" not in client.get("/").get_data(as_text=True)
    assert client.get("/start", headers={"Accept": "text/html"}).status_code == 403
    before = instances(session)
    form = {"csrf_token": csrf_token(client.get("/").get_data(as_text=True)), "process_key": "member_disposition"}
    response = client.post("/start", data={**form, "organization_id": str(demo.branch1.id)})
    assert response.status_code == 403
    assert instances(session) == before


def test_a_pair_the_rules_refuse_is_a_403_that_starts_nothing(client, login, session, demo, plan_task):
    deploy_package(client, login, "member_disposition")
    member5 = session.scalars(select(Person).where(Person.username == "member5")).one()
    session.add(RoleAssignment(person_id=member5.id, organization_id=demo.branch1.id, role=Role.DRAFTER))
    session.commit()
    sign_in(client, "member5")  # drafter in 第一党支部, secretary of 第二党支部: 组织处置 only in the second
    page = client.get("/start").get_data(as_text=True)
    assert 'value="member_disposition"' in page and f'value="{demo.branch1.id}"' in page
    before = instances(session)
    form = {"csrf_token": csrf_token(page), "process_key": "member_disposition", "organization_id": str(demo.branch1.id)}
    response = client.post("/start", data=form)
    assert response.status_code == 403 and "支部书记、党委委员" in response.get_data(as_text=True)
    assert instances(session) == before
    response = client.post("/start", data={**form, "organization_id": str(demo.branch2.id)})
    assert response.status_code == 302
    assert instances(session) == before + 1


def test_the_timers_business_key_is_refused_on_the_page(client, login, session, demo, plan_task):
    sign_in(client, "drafter")
    page = client.get("/start").get_data(as_text=True)
    before = instances(session)
    response = post_start(client, page, "disclosure_review", demo.branch1.id, "disclosure_review@2026-10-08")
    assert response.status_code == 422 and "定时发起" in response.get_data(as_text=True)
    assert instances(session) == before
