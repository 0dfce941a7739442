"""An instance's trace and the audit chain's check, as an auditor or a participant reads them in the
browser: who did what and when, and which row was altered when someone edited the database."""

from __future__ import annotations

import re

from sqlalchemy import select, text

from engine.models import AuditEvent, InstanceStatus, ProcessInstance
from tests.helpers.browser import sign_in
from tests.helpers.disclosure_samples import PLAN


def completed_plan(client, login, session, plan_task) -> AuditEvent:  # type: ignore[no-untyped-def]
    done = client.post(f"/api/v1/tasks/{plan_task.id}/complete", headers=login("drafter"), json={"data": PLAN})
    assert done.status_code == 200, done.json
    return session.scalars(select(AuditEvent).where(AuditEvent.event_type == "task.completed")).one()


def tamper(session, seq: int) -> None:  # type: ignore[no-untyped-def]
    session.rollback()
    with session.begin():
        session.execute(text("UPDATE audit_events SET after = :v WHERE seq = :seq"), {"v": '{"title": "伪造"}', "seq": seq})


def test_the_trace_says_who_did_what_on_which_task(client, login, session, plan_task):
    completed_plan(client, login, session, plan_task)
    sign_in(client, "secretary")
    page = client.get(f"/instances/{plan_task.instance_id}").get_data(as_text=True)
    assert "运行中 (running)" in page and "第一党支部" in page
    assert re.search(r"发起流程 \(started\)", page) and re.search(r"办理任务 \(completed\)<br><span class=\"hint\">提出公开方案", page)
    assert PLAN["content"] in page  # the values the drafter gave
    assert "均通过哈希校验" in page and "已被篡改" not in page
    assert "必要性、准确性审核" in page  # an open task, linked


def test_an_edited_row_is_marked_where_it_is(client, login, session, plan_task):
    completed = completed_plan(client, login, session, plan_task)
    tamper(session, completed.seq)
    sign_in(client, "auditor")
    page = client.get(f"/instances/{plan_task.instance_id}").get_data(as_text=True)
    assert re.search(rf'<tr id="event-{completed.seq}" class="altered">', page)
    assert page.count('class="altered"') == 1 and "1 条记录校验失败" in page
    assert "伪造" in page  # what the row says now, for the auditor to compare


def test_the_audit_page_verifies_the_whole_chain_and_points_at_the_break(client, login, session, plan_task):
    completed = completed_plan(client, login, session, plan_task)
    sign_in(client, "auditor")
    assert 'href="/audit?verify=1"' in client.get("/audit").get_data(as_text=True)  # on request: it reads the whole log
    assert "完整：" in client.get("/audit?verify=1").get_data(as_text=True)
    tamper(session, completed.seq)
    page = client.get("/audit?verify=1").get_data(as_text=True)
    assert f"第 {completed.seq} 条起校验失败" in page
    assert f'href="/instances/{plan_task.instance_id}"' in page


def test_the_audit_page_says_when_the_newest_events_were_cut_off(client, login, session, plan_task):
    completed = completed_plan(client, login, session, plan_task)
    session.rollback()
    with session.begin():  # the tail deleted and the chain head moved back, as a database administrator could
        session.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": completed.seq})
        last = session.get(AuditEvent, completed.seq - 1)
        session.execute(text("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash"), {"seq": last.seq, "hash": last.hash})
    sign_in(client, "auditor")
    page = client.get("/audit?verify=1").get_data(as_text=True)
    assert "已被截断" in page and f"第 {completed.seq} 条起被删除" in page
    assert "北京时间 2026-03-02 17:00" in page  # the checkpoint's moment (09:00 UTC on the test clock)


def test_auditors_download_the_checkpoints_from_the_audit_page(client, login, session, plan_task, audit_anchor):
    sign_in(client, "auditor")
    assert 'href="/audit/checkpoints"' in client.get("/audit").get_data(as_text=True)
    response = client.get("/audit/checkpoints")
    assert response.status_code == 200 and response.data == audit_anchor.checkpoint_path.read_bytes()
    response.close()
    sign_in(client, "secretary")
    assert client.get("/audit/checkpoints", headers={"Accept": "text/html"}).status_code == 403


def test_only_auditors_and_administrators_open_the_audit_page(client, plan_task):
    sign_in(client, "secretary")
    response = client.get("/audit", headers={"Accept": "text/html"})
    assert response.status_code == 403 and "纪检委员" in response.get_data(as_text=True)


def test_an_instance_one_may_not_see_is_not_found(client, plan_task):
    sign_in(client, "member4")
    response = client.get(f"/instances/{plan_task.instance_id}", headers={"Accept": "text/html"})
    assert response.status_code == 404


def manage_form(page: str, command: str) -> dict[str, str]:
    """The hidden fields of one of the instance page's command forms."""
    form = page[page.index(f'/{command}"') :]
    return {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1),
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1),
    }


def test_the_starter_suspends_resumes_and_cancels_with_a_reason(client, session, plan_task):
    sign_in(client, "drafter")
    url = f"/instances/{plan_task.instance_id}"
    suspended = client.post(f"{url}/suspend", data=manage_form(client.get(url).get_data(as_text=True), "suspend"))
    assert suspended.status_code == 302 and "已挂起 (suspended)" in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/resume", data=manage_form(client.get(url).get_data(as_text=True), "resume")).status_code == 302
    page = client.get(url).get_data(as_text=True)
    cancelled = client.post(f"{url}/cancel", data={**manage_form(page, "cancel"), "reason": "重复发起"})
    assert cancelled.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "已取消 (cancelled)" in page and "重复发起" in page and '/cancel"' not in page
    session.expire_all()
    types = session.scalars(select(AuditEvent.event_type).where(AuditEvent.instance_id == plan_task.instance_id)).all()
    assert {"instance.suspended", "instance.resumed", "instance.cancelled"} <= set(types)


def test_a_command_on_a_page_grown_stale_is_a_conflict_and_changes_nothing(client, login, session, plan_task):
    sign_in(client, "drafter")
    url = f"/instances/{plan_task.instance_id}"
    stale = manage_form(client.get(url).get_data(as_text=True), "cancel")
    claimed = client.post(f"/api/v1/tasks/{plan_task.id}/claim", headers=login("drafter"), json={})
    assert claimed.status_code == 200  # someone moved the instance on since the page was shown
    response = client.post(f"{url}/cancel", data={**stale, "reason": "过期页面"})
    assert response.status_code == 409 and "请刷新后重试" in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == plan_task.instance_id)) == InstanceStatus.RUNNING


def test_only_those_who_manage_an_instance_see_and_use_its_commands(client, session, plan_task):
    sign_in(client, "auditor")
    url = f"/instances/{plan_task.instance_id}"
    page = client.get(url).get_data(as_text=True)
    assert "管理 (manage)" not in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    response = client.post(f"{url}/cancel", data={"csrf_token": token, "version": "1"}, headers={"Accept": "text/html"})
    assert response.status_code == 403


def test_an_id_beyond_any_row_is_not_found_not_an_error(client, plan_task):
    sign_in(client, "auditor")
    for path in (
        "/instances/99999999999999999999",
        "/disclosures/99999999999999999999",
        "/appraisals/99999999999999999999/ballot",
        "/organizations/99999999999999999999/pipeline",
    ):
        assert client.get(path, headers={"Accept": "text/html"}).status_code == 404, path
