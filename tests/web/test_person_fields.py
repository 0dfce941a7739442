"""Forms that name people (contacts, sponsors, those present at a branch meeting) are answered on
the task page by choosing names of the branch's people, and read back by name."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.models import TaskStatus, UserTask
from tests.helpers.browser import csrf_token, sign_in
from tests.helpers.paths import PROCESSES
from tests.helpers.scenario_player import ScenarioPlayer

SUITE = json.loads((PROCESSES / "member_development" / "scenarios.json").read_text(encoding="utf-8"))


@pytest.fixture
def contacts_task(client, demo, session_factory, clock, session) -> tuple[ScenarioPlayer, UserTask]:  # type: ignore[no-untyped-def]
    """A 发展党员 case of 第一党支部 at 指定培养联系人."""
    player = ScenarioPlayer(client, session_factory, clock, demo, SUITE)
    player.deploy()
    player.start(SUITE["scenarios"][0])
    for step in SUITE["paths"]["to_activist"][:4]:
        player.play(step)
    player.move_to(player.today().replace(day=26))
    task = session.scalars(select(UserTask).where(UserTask.element_id == "appoint_contacts")).one()
    return player, task


def test_contacts_are_chosen_by_name_and_read_back_by_name(client, session, contacts_task):
    player, task = contacts_task
    sign_in(client, "secretary")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    member1, applicant = player.people["member1"], player.people["applicant1"]
    assert f'type="checkbox" name="contact_ids" value="{member1}"' in page
    assert f'value="{applicant}"' not in page  # only people of the branch are offered
    response = client.post(
        f"/tasks/{task.id}",
        data={
            "csrf_token": csrf_token(page),
            "step_date": player.today().isoformat(),
            "contact_ids": [str(member1)],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    done = session.get(UserTask, task.id)
    assert done.status == TaskStatus.COMPLETED and done.completion_data["contact_ids"] == [member1]
    following = session.scalars(select(UserTask).where(UserTask.status == TaskStatus.OPEN)).first()
    earlier = client.get(f"/tasks/{following.id}").get_data(as_text=True)
    assert "<dt>培养联系人（人员编号）</dt><dd>党员 刘洋</dd>" in earlier  # member1 of the demo branch, by name
