"""民主测评 is anonymous: a ballot leaves a receipt (who voted) and a sealed ballot (no voter, no time),
counted into the counters (how many votes per member and grade) in batches or at the close, and
nothing that ties the two together — no table row, no audit event, no task data, no log line
(tests/processes/test_ballot_history.py reads the database's own files). Also: each member finds
their own 自评 among their tasks, and the decision table proposes grades from the tallies."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from engine.db import Base
from engine.definitions.spec_cache import SpecCache
from engine.instances.serialization import state_from_json
from engine.models import AuditEvent, ProcessInstance
from tests.helpers.browser import csrf_token, sign_in
from tests.helpers.paths import PROCESSES
from tests.helpers.scenario_player import ScenarioPlayer

SUITE = json.loads((PROCESSES / "democratic_appraisal" / "scenarios.json").read_text(encoding="utf-8"))
VOTES = {
    "member1": {"@member2": "basically_qualified", "@member3": "excellent"},
    "member2": {"@member3": "unqualified"},
    "reviewer": {"@member2": "excellent", "@member3": "unqualified"},
    "member3": {"@member2": "unqualified"},
}


@pytest.fixture
def player(client, demo, session_factory, clock) -> ScenarioPlayer:  # type: ignore[no-untyped-def]
    player = ScenarioPlayer(client, session_factory, clock, demo, SUITE)
    player.deploy()
    player.start(SUITE["scenarios"][0])
    return player


def test_each_member_finds_their_own_self_appraisal(player: ScenarioPlayer) -> None:
    player.play(SUITE["paths"]["study_and_self_appraisal"][0])
    for username in ("member1", "member6", "secretary"):
        mine = player.client.get("/api/v1/tasks", query_string={"scope": "mine"}, headers=player.headers(username)).json
        assert [(t["element_id"], t["assignee_id"]) for t in mine["items"]] == [("self_appraisal [child]", player.people[username])]
    member1_task = _task_of(player, "member1")
    refused = player.client.post(
        f"/api/v1/tasks/{member1_task}/complete", json={"data": SUITE["data"]["self_qualified"]}, headers=player.headers("member2")
    )
    assert refused.status_code in (403, 404), refused.json


def test_a_ballot_links_no_voter_to_a_grade(player: ScenarioPlayer, caplog: pytest.LogCaptureFixture) -> None:
    for step in SUITE["paths"]["study_and_self_appraisal"]:
        player.play(step)
    voter_ids = {player.people[name] for name in VOTES}
    for username, grades in VOTES.items():
        before = _every_row(player)
        with caplog.at_level(logging.DEBUG):
            player.cast_ballot({"by": username, "grades": grades})
        added, removed = _difference(before, _every_row(player))
        _only_a_receipt_and_a_sealed_ballot(added, removed, player.people[username])
    assert not [r for r in caplog.records if any(g in r.getMessage() for g in ("excellent", "qualified"))]
    view = player.client.get(f"/api/v1/appraisals/{player.instance_id}/ballot", headers=player.headers("member1")).json
    assert (view["status"], view["ballots_cast"], view["has_voted"], view["may_vote"]) == ("open", 4, True, False)
    assert "tallies" not in view

    player.play({"task": "close_ballot", "by": "secretary", "data": "close", "on": "2026-10-22"})
    with player.sessions() as session:
        instance = session.get(ProcessInstance, player.instance_id)
        workflow = state_from_json(instance.state_json, SpecCache().get(session, instance.definition_id))
        events = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == player.instance_id)).all()
    for task in workflow.get_tasks():
        _no_voter_in(task.data, voter_ids)
    assert [(e.event_type, e.actor_id, e.after) for e in events if e.event_type.startswith("appraisal.ballot")] == [
        ("appraisal.ballots_counted", None, {"ballots": 4}),
        ("appraisal.ballot_closed", player.people["secretary"], {"ballots_counted": 4, "receipts": 4, "counted_at_close": 4}),
    ]
    for event in events:
        if event.actor_id in voter_ids:
            assert "ballot" not in json.dumps([event.before, event.after])

    grading = next(t for t in workflow.get_tasks() if t.task_spec.name == "committee_grading")
    member2, member3 = (str(player.people[name]) for name in ("member2", "member3"))
    assert grading.data["tallies"][member2] == {"excellent": 1, "qualified": 0, "basically_qualified": 1, "unqualified": 1}
    assert grading.data["tallies"][member3] == {"excellent": 1, "qualified": 0, "basically_qualified": 0, "unqualified": 2}
    proposed = grading.data["proposed_grades"]
    assert (proposed[member2], proposed[member3], proposed[str(player.people["member1"])]) == (
        "basically_qualified",
        "unqualified",
        "qualified",
    )


def _task_of(player: ScenarioPlayer, username: str) -> str:
    mine = player.client.get("/api/v1/tasks", query_string={"scope": "mine"}, headers=player.headers(username)).json
    return str(mine["items"][0]["id"])


Rows = dict[str, set[str]]


def _every_row(player: ScenarioPlayer) -> Rows:
    with player.sessions() as session:
        return {
            table.name: {json.dumps(dict(row), sort_keys=True, default=str) for row in session.execute(select(table)).mappings()}
            for table in Base.metadata.sorted_tables
        }


def _difference(before: Rows, after: Rows) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    added = {name: [json.loads(r) for r in after[name] - before[name]] for name in after if after[name] - before[name]}
    removed = {name: [json.loads(r) for r in before[name] - after[name]] for name in before if before[name] - after[name]}
    return added, removed


def _only_a_receipt_and_a_sealed_ballot(
    added: dict[str, list[dict[str, Any]]], removed: dict[str, list[dict[str, Any]]], voter: int
) -> None:
    """One receipt without a grade, one sealed ballot without voter or time; no counter moves and no
    audit event names the voter (fewer than ten ballots wait, so no batch is counted)."""
    assert set(added) <= {"appraisal_ballot_receipts", "appraisal_sealed_ballots", "api_tokens"}, added
    assert set(removed) <= {"api_tokens"}, removed
    assert [set(r) for r in added["appraisal_ballot_receipts"]] == [{"instance_id", "voter_id"}]
    assert added["appraisal_ballot_receipts"][0]["voter_id"] == voter
    assert [set(r) for r in added["appraisal_sealed_ballots"]] == [{"instance_id", "token", "sealed"}]


def _no_voter_in(data: Any, voter_ids: set[int]) -> None:
    """Task data never holds anything ballot-shaped keyed by a voter."""
    text = json.dumps(data, default=str)
    assert "voter_id" not in text and "receipt" not in text
    for key in ("ballot", "ballot_result"):
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            assert set(data[key]) <= {"status", "appraised", "voters", "tallies", "inputs"}, data[key]


def test_a_ballot_cast_on_the_page_links_no_voter_to_a_grade(player: ScenarioPlayer, caplog: pytest.LogCaptureFixture) -> None:
    for step in SUITE["paths"]["study_and_self_appraisal"]:
        player.play(step)
    client, member2, member3 = player.client, player.people["member2"], player.people["member3"]
    sign_in(client, "member1")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/appraisals/{player.instance_id}/ballot"' in home
    page = client.get(f"/appraisals/{player.instance_id}/ballot").get_data(as_text=True)
    assert f'name="grade-{member2}" value="basically_qualified"' in page and "0 / 6" in page

    before = _every_row(player)
    refused = client.post(f"/appraisals/{player.instance_id}/ballot", data={"csrf_token": csrf_token(page), "grade-999999": "excellent"})
    assert refused.status_code == 422 and "不是本次评议的党员" in refused.get_data(as_text=True)
    assert _every_row(player) == before  # a refused ballot leaves nothing, not even a receipt

    with caplog.at_level(logging.DEBUG):
        cast = client.post(
            f"/appraisals/{player.instance_id}/ballot",
            data={
                "csrf_token": csrf_token(page),
                f"grade-{member2}": "basically_qualified",
                f"grade-{member3}": "excellent",
            },
        )
    assert cast.status_code == 302
    added, removed = _difference(before, _every_row(player))
    _only_a_receipt_and_a_sealed_ballot(added, removed, player.people["member1"])
    assert not [r for r in caplog.records if any(g in r.getMessage() for g in ("excellent", "qualified"))]
    after = client.get(cast.headers["Location"]).get_data(as_text=True)
    assert "已投票 (voted)" in after and "1 / 6" in after and "grade-" not in after
    again = client.post(f"/appraisals/{player.instance_id}/ballot", data={"csrf_token": csrf_token(page), f"grade-{member2}": "excellent"})
    assert again.status_code == 409 and f'href="/appraisals/{player.instance_id}/ballot"' not in client.get("/").get_data(as_text=True)
