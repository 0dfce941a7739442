"""Who may do what, endpoint by endpoint, for every demo account.

The table is the specification. The resource is a disclosure review started by `drafter` in
第一党支部 (branch1), waiting at the plan, which is offered to drafters of branch1. `member4` and
`member5` (secretary of 第二党支部) belong to the other organisation; `member1` is a plain member
of branch1, whose personal record only roles that need it may read; `admin`, `owner`, `auditor` and
`committee` hold their roles in the 党委 above it.
An instance or task a person may not see answers 404, so ids reveal nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from engine.models import Person
from tests.helpers.paths import FIXTURES

PROCESS = (FIXTURES.parents[2] / "processes" / "disclosure_review" / "disclosure_review.bpmn").read_bytes()
PLAN = {
    "title": "党费收缴情况",
    "content": "本季度党费收缴情况如下。",
    "scope": "local",
    "methods": ["meeting"],
    "publish_on": "2026-04-01",
}
ACCOUNTS = ["admin", "owner", "auditor", "committee", "drafter", "secretary", "reviewer", "member1", "member4", "member5"]

#                       admin owner auditor committee drafter secretary reviewer member1 member4 member5
MATRIX: dict[str, tuple[int, ...]] = {
    "list definitions": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "deploy": (200, 200, 403, 403, 403, 403, 403, 403, 403, 403),
    "start in branch1": (201, 201, 403, 201, 201, 201, 201, 201, 403, 403),
    "read instance": (200, 200, 200, 200, 200, 200, 200, 404, 404, 404),
    "read history": (200, 200, 200, 200, 200, 200, 200, 404, 404, 404),
    "cancel instance": (200, 403, 403, 403, 200, 200, 403, 404, 404, 404),
    "group inbox": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "read plan task": (200, 404, 200, 404, 200, 404, 404, 404, 404, 404),
    "read plan task form": (200, 404, 200, 404, 200, 404, 404, 404, 404, 404),
    "claim plan task": (403, 404, 403, 404, 200, 404, 404, 404, 404, 404),
    "complete plan task": (403, 404, 403, 404, 200, 404, 404, 404, 404, 404),
    "verify audit chain": (200, 403, 200, 403, 403, 403, 403, 403, 403, 403),
    "read disclosures": (200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    "override calendar": (200, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "read member1 record": (200, 200, 200, 200, 404, 200, 404, 200, 404, 404),
    "read audit events": (200, 403, 200, 403, 403, 403, 403, 403, 403, 403),
    "download audit checkpoints": (200, 403, 200, 403, 403, 403, 403, 403, 403, 403),
}


class World:
    def __init__(self, client, login, demo, session):  # type: ignore[no-untyped-def]
        self.client, self.login, self.demo = client, login, demo
        upload = {"file": (io.BytesIO(PROCESS), "disclosure_review.bpmn")}
        deployed = client.post("/api/v1/process-definitions", data=upload, headers=login("owner"), content_type="multipart/form-data")
        assert deployed.status_code == 201, deployed.json
        started = client.post(
            "/api/v1/process-instances",
            headers=login("drafter"),
            json={"process_key": "disclosure_review", "organization_id": demo.branch1.id},
        )
        assert started.status_code == 201, started.json
        self.instance = started.json
        self.plan_id = self.instance["open_tasks"][0]["id"]
        self.member1_id = session.query(Person).filter_by(username="member1").one().id

    def request(self, action: str, username: str) -> int:
        response = ACTIONS[action](self, self.login(username))
        response.close()  # a downloaded file streams until closed
        return response.status_code


def _deploy(world: World, headers: dict[str, str]) -> Any:
    upload = {"file": (io.BytesIO(PROCESS), "disclosure_review.bpmn")}
    return world.client.post("/api/v1/process-definitions", data=upload, headers=headers, content_type="multipart/form-data")


ACTIONS: dict[str, Callable[[World, dict[str, str]], Any]] = {
    "list definitions": lambda w, h: w.client.get("/api/v1/process-definitions", headers=h),
    "deploy": _deploy,
    "start in branch1": lambda w, h: w.client.post(
        "/api/v1/process-instances", headers=h, json={"process_key": "disclosure_review", "organization_id": w.demo.branch1.id}
    ),
    "read instance": lambda w, h: w.client.get(f"/api/v1/process-instances/{w.instance['id']}", headers=h),
    "read history": lambda w, h: w.client.get(f"/api/v1/process-instances/{w.instance['id']}/history", headers=h),
    "cancel instance": lambda w, h: w.client.post(f"/api/v1/process-instances/{w.instance['id']}/cancel", headers=h, json={}),
    "group inbox": lambda w, h: w.client.get("/api/v1/tasks?scope=group", headers=h),
    "read plan task": lambda w, h: w.client.get(f"/api/v1/tasks/{w.plan_id}", headers=h),
    "read plan task form": lambda w, h: w.client.get(f"/api/v1/tasks/{w.plan_id}/form", headers=h),
    "claim plan task": lambda w, h: w.client.post(f"/api/v1/tasks/{w.plan_id}/claim", headers=h, json={}),
    "complete plan task": lambda w, h: w.client.post(f"/api/v1/tasks/{w.plan_id}/complete", headers=h, json={"data": PLAN}),
    "verify audit chain": lambda w, h: w.client.get("/api/v1/audit/verify", headers=h),
    "read disclosures": lambda w, h: w.client.get("/api/v1/disclosures", headers=h),
    "read member1 record": lambda w, h: w.client.get(f"/api/v1/people/{w.member1_id}", headers=h),
    "read audit events": lambda w, h: w.client.get("/api/v1/audit/events", headers=h),
    "download audit checkpoints": lambda w, h: w.client.get("/api/v1/audit/checkpoints", headers=h),
    "override calendar": lambda w, h: w.client.put(
        "/api/v1/calendar/2026-05-06", headers=h, json={"is_workday": False, "reason": "单位调整"}
    ),
}

CASES = [(action, account, expected) for action, row in MATRIX.items() for account, expected in zip(ACCOUNTS, row, strict=True)]


def test_the_matrix_covers_every_action_and_account():
    assert set(MATRIX) == set(ACTIONS) and all(len(row) == len(ACCOUNTS) for row in MATRIX.values())


@pytest.mark.parametrize(("action", "account", "expected"), CASES, ids=[f"{a}-{u}" for a, u, _ in CASES])
def test_authorization(client, login, demo, session, action, account, expected):
    world = World(client, login, demo, session)
    assert world.request(action, account) == expected
