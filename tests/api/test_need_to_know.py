"""What a participant of a 民主评议 reads: the case's summary with their own 个人自评 and answers, no
one else's, no history; their own grade only once the 党委 approved it. Those who oversee it read it
whole. (Who gets which status is in the authorization matrix; this checks what the answers hold.)"""

from __future__ import annotations

import tests.api.test_authorization_matrix as matrix
from tests.helpers.api_errors import assert_error_shape

MEMBER2_ANALYSIS = matrix.APPRAISAL_SUITE["data"]["self_qualified"]["summary"]


def test_a_member_reads_the_summary_and_only_their_own_self_appraisal(client, demo, session_factory, clock):
    appraisal = matrix.Appraisal(client, demo, session_factory, clock, "self")
    player, instance_id = appraisal.player, appraisal.instance_id
    player.play({"task": "self_appraisal [child]", "by": "member2", "data": "self_qualified"})

    summary = client.get(f"/api/v1/process-instances/{instance_id}/summary", headers=player.headers("member1")).json
    assert (summary["process_name"], summary["organization_name"], summary["current_steps"]) == ("民主评议党员", "第一党支部", ["个人自评"])
    (own,) = summary["own_tasks"]
    assert own["id"] == appraisal.task_of["member1"] and own["completion_data"]["summary"] == matrix.MEMBER1_ANALYSIS
    assert MEMBER2_ANALYSIS not in str(summary) and "history" not in summary

    whole = client.get(f"/api/v1/process-instances/{instance_id}", headers=player.headers("member1"))
    assert f"/api/v1/process-instances/{instance_id}/summary" in assert_error_shape(whole, 403, "forbidden")["message"]
    history = client.get(f"/api/v1/process-instances/{instance_id}/history", headers=player.headers("secretary")).json
    assert MEMBER2_ANALYSIS in str(history)  # the secretary oversees the branch and reads it whole

    page = appraisal.page("member1", f"/instances/{instance_id}").get_data(as_text=True)
    assert "我的任务 (my tasks)" in page and matrix.MEMBER1_ANALYSIS in page
    assert MEMBER2_ANALYSIS not in page and "审计记录" not in page and "当前步骤" in page
    task_page = appraisal.page("member1", f"/tasks/{appraisal.task_of['member1']}").get_data(as_text=True)
    assert "此前办理" not in task_page and MEMBER2_ANALYSIS not in task_page


def test_a_member_cannot_give_back_the_self_appraisal_the_process_gave_them(client, demo, session_factory, clock):
    appraisal = matrix.Appraisal(client, demo, session_factory, clock, "self")
    player, task_id = appraisal.player, appraisal.task_of["member2"]
    refused = client.post(f"/api/v1/tasks/{task_id}/unclaim", json={}, headers=player.headers("member2"))
    assert "指定本人办理" in assert_error_shape(refused, 409, "invalid_command")["message"]
    task = client.get(f"/api/v1/tasks/{task_id}", headers=player.headers("member2")).json
    assert task["assignee_id"] == player.people["member2"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=player.headers("member1")).status_code == 404


def test_grades_reach_each_member_alone_and_only_after_approval(client, demo, session_factory, clock):
    appraisal = matrix.Appraisal(client, demo, session_factory, clock, "graded")
    player, instance_id = appraisal.player, appraisal.instance_id
    grades = f"/api/v1/appraisals/{instance_id}/grades"

    given = client.get(grades, headers=player.headers("secretary")).json
    assert len(given) == 7 and not any(grade["final"] for grade in given)
    assert client.get(grades, headers=player.headers("member1")).json == []

    player.play({"task": "higher_approval", "by": "committee", "data": "approve", "with": matrix.ON})
    (own,) = client.get(grades, headers=player.headers("member1")).json
    assert (own["person_id"], own["grade"], own["title"], own["final"]) == (player.people["member1"], "excellent", "优秀", True)
    assert [g["grade"] for g in client.get(grades, headers=player.headers("member2")).json] == ["qualified"]
    assert client.get(grades, headers=player.headers("member4")).status_code == 404

    page = appraisal.page("member2", f"/instances/{instance_id}").get_data(as_text=True)
    assert "我的评定结果 (my grade)" in page and "：合格" in page and "优秀" not in page
