"""Working on a task in the browser: open it from the inbox, read what came before, answer its form,
see each refused field named with nothing changed, and only candidates may answer."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from engine.models import AuditEvent, Person, ProcessInstance, Role, RoleAssignment, TaskStatus, UserTask
from tests.helpers.browser import csrf_token, sign_in
from tests.helpers.disclosure_samples import PLAN


def post_answer(client, task_id: str, fields: dict[str, Any], with_token: bool = True):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = dict(fields)
    if with_token:  # one token per browser session: the inbox's sign-out form carries it too
        data["csrf_token"] = csrf_token(client.get("/").get_data(as_text=True))
    return client.post(f"/tasks/{task_id}", data=data)


def task_state(session, task_id: str) -> tuple[TaskStatus, int, int]:  # type: ignore[no-untyped-def]
    """The task's status, its instance's version and the number of audit events: what a refused post must not move."""
    session.expire_all()
    task = session.get(UserTask, task_id)
    version = session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == task.instance_id))
    return task.status, version, session.scalar(select(func.count(AuditEvent.seq)))


def test_the_inbox_links_each_task_to_its_page(client, plan_task):
    sign_in(client, "drafter")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/tasks/{plan_task.id}"' in home and "提出公开方案" in home


def test_the_task_page_renders_the_form_the_engine_validates(client, plan_task):
    sign_in(client, "drafter")
    page = client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)
    assert "公开事项标题" in page and "(Title)" in page  # titles in Chinese, English beside them
    assert re.search(r'<textarea id="input-content" name="content"', page)
    assert re.search(r'type="radio" name="scope" value="local"', page) and "在本地区、本部门、本单位公开" in page
    assert re.search(r'type="checkbox" name="methods" value="bulletin_board"', page)
    assert re.search(r'name="publish_on" type="date"', page)


def test_a_drafter_completes_the_plan_in_the_browser(client, session, plan_task):
    sign_in(client, "drafter")
    response = post_answer(client, plan_task.id, PLAN)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert "已办理：提出公开方案" in client.get("/").get_data(as_text=True)
    session.expire_all()
    task = session.get(UserTask, plan_task.id)
    assert task.status == TaskStatus.COMPLETED
    assert task.completion_data["methods"] == ["meeting", "bulletin_board"]
    assert task.completion_data["publish_on"] == "2026-04-01"
    completed = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "task.completed")).one()
    assert completed.actor_id == task.completed_by_id and completed.task_id == plan_task.id


def test_a_refused_answer_names_each_field_keeps_what_was_typed_and_changes_nothing(client, session, plan_task):
    sign_in(client, "drafter")
    before = task_state(session, plan_task.id)
    response = post_answer(client, plan_task.id, {**PLAN, "title": "", "publish_on": "2026-02-30"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="error-title"' in page and 'id="error-publish_on"' in page and 'id="error-content"' not in page
    assert "本季度应缴党费 12 人" in page  # the content typed is still there to correct the rest
    assert task_state(session, plan_task.id) == before


def test_the_reviewer_reads_the_plan_before_answering(client, session, plan_task):
    sign_in(client, "drafter")
    assert post_answer(client, plan_task.id, PLAN).status_code == 302
    review = session.scalars(select(UserTask).where(UserTask.element_id == "accuracy_review")).one()
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    sign_in(client, "secretary")
    page = client.get(f"/tasks/{review.id}").get_data(as_text=True)
    earlier = page[page.index("此前办理") : page.index("办理 (your answer)")]
    assert "提出公开方案" in earlier and "本季度应缴党费 12 人" in earlier and "公开栏" in earlier
    assert re.search(r'id="shown-title">2026年第一季度党费收缴情况<', page)  # read-only: shown, not asked
    assert 'name="title"' not in page


def test_a_task_one_may_not_see_is_not_found(client, plan_task):
    sign_in(client, "member4")  # 第二党支部: not offered this task
    response = client.get(f"/tasks/{plan_task.id}", headers={"Accept": "text/html"})
    assert response.status_code == 404 and "任务不存在" in response.get_data(as_text=True)


def test_an_auditor_reads_the_task_but_cannot_answer_it(client, session, plan_task):
    sign_in(client, "auditor")
    page = client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)
    assert "提出公开方案" in page and 'name="title"' not in page and "该任务由他人办理" in page
    before = task_state(session, plan_task.id)
    assert post_answer(client, plan_task.id, PLAN).status_code == 403
    assert task_state(session, plan_task.id) == before


def test_an_answer_without_its_csrf_token_is_refused(client, session, plan_task):
    sign_in(client, "drafter")
    before = task_state(session, plan_task.id)
    response = post_answer(client, plan_task.id, PLAN, with_token=False)
    assert response.status_code == 400 and "请求已过期" in response.get_data(as_text=True)
    assert task_state(session, plan_task.id) == before


def test_a_task_answered_meanwhile_is_a_conflict_not_a_second_answer(client, session, login, plan_task):
    sign_in(client, "drafter")
    page = client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)
    done = client.post(f"/api/v1/tasks/{plan_task.id}/complete", headers=login("drafter"), json={"data": PLAN})
    assert done.status_code == 200, done.json
    before = task_state(session, plan_task.id)
    response = client.post(f"/tasks/{plan_task.id}", data={**PLAN, "csrf_token": csrf_token(page)})
    assert response.status_code == 403 and "您不能办理该任务" in response.get_data(as_text=True)
    assert task_state(session, plan_task.id) == before


def test_signed_out_visitors_are_sent_to_sign_in(client, plan_task):
    response = client.get(f"/tasks/{plan_task.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_a_candidate_claims_a_task_and_gives_it_back(client, session, plan_task):
    sign_in(client, "drafter")
    page = client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)
    assert "未认领 (unclaimed)" in page and f'action="/tasks/{plan_task.id}/claim"' in page
    token = csrf_token(page)
    claimed = client.post(f"/tasks/{plan_task.id}/claim", data={"csrf_token": token})
    assert claimed.status_code == 302
    page = client.get(claimed.headers["Location"]).get_data(as_text=True)
    assert "已认领：提出公开方案" in page and "党务干事 李华" in page and "/unclaim" in page
    session.expire_all()
    assert session.get(UserTask, plan_task.id).assignee_id is not None
    given_back = client.post(f"/tasks/{plan_task.id}/unclaim", data={"csrf_token": token})
    assert given_back.status_code == 302
    session.expire_all()
    assert session.get(UserTask, plan_task.id).assignee_id is None
    events = session.scalars(select(AuditEvent.event_type).where(AuditEvent.task_id == plan_task.id)).all()
    assert events.count("task.claimed") == 1 and events.count("task.unclaimed") == 1


def test_someone_not_offered_the_task_cannot_claim_it(client, session, plan_task):
    sign_in(client, "auditor")
    page = client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)
    assert "/claim" not in page
    before = task_state(session, plan_task.id)
    response = client.post(f"/tasks/{plan_task.id}/claim", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert response.status_code == 403 and "您不能认领" in response.get_data(as_text=True)
    assert task_state(session, plan_task.id) == before


def test_a_claim_without_its_csrf_token_is_refused(client, session, plan_task):
    sign_in(client, "drafter")
    before = task_state(session, plan_task.id)
    assert client.post(f"/tasks/{plan_task.id}/claim").status_code == 400
    assert task_state(session, plan_task.id) == before


def test_a_task_is_handed_only_to_another_of_its_candidates(client, session, demo, plan_task):
    member1 = session.scalars(select(Person).where(Person.username == "member1")).one()
    sign_in(client, "drafter")
    assert 'id="delegate"' not in client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)  # nobody else drafts
    before = task_state(session, plan_task.id)
    token = csrf_token(client.get("/").get_data(as_text=True))
    refused = client.post(f"/tasks/{plan_task.id}/delegate", data={"csrf_token": token, "person_id": str(member1.id)})
    assert refused.status_code == 422 and "其他候选人" in refused.get_data(as_text=True)
    assert task_state(session, plan_task.id) == before

    session.add(RoleAssignment(person_id=member1.id, organization_id=demo.branch1.id, role=Role.DRAFTER))
    session.commit()
    page = client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)
    assert f'<option value="{member1.id}">党员 刘洋</option>' in page
    handed = client.post(f"/tasks/{plan_task.id}/delegate", data={"csrf_token": token, "person_id": str(member1.id)})
    assert handed.status_code == 302
    session.expire_all()
    assert session.get(UserTask, plan_task.id).assignee_id == member1.id
    assert 'id="delegate"' not in client.get(f"/tasks/{plan_task.id}").get_data(as_text=True)  # no longer the drafter's
