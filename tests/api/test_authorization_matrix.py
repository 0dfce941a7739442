"""Who may do what, endpoint by endpoint, for every demo account.

The table is the specification. The resource is a disclosure review started by `drafter` in
第一党支部 (branch1), waiting at the plan, which is offered to drafters of branch1. `member4` and
`member5` (secretary of 第二党支部) belong to the other organisation; `member1` is a plain member
of branch1, whose personal record only roles that need it may read; `admin`, `owner`, `auditor` and
`committee` hold their roles in the 党委 above it.
An instance or task a person may not see answers 404, so ids reveal nothing.

Starting by hand follows each process package's start rule: 党务公开 by drafters and branch
secretaries, 民主评议, 发展党员 and 组织处置 by the branch secretary or a 党委委员 above the branch, all
of them only in a 党支部 (never in its 党小组); a timer's business key, a variable the process does not
ask for and a regulation version chosen by someone who may not choose rule sets are refused.
=======
The second table is a 民主评议 in branch1, started by `secretary`: each member of the branch has a
个人自评 assigned to them alone (`member1` has written theirs, `member2` not yet), and later the
支委会's grades wait for the 党委, then are approved and told. A member who takes part reads the
case's summary and their own task, not the others' 党性分析, the history or the grades; their own
grade only once approved. Rows about lists and pages read 200 when the thing is shown, 404 when not.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest

from engine.models import Person
from tests.helpers.browser import sign_in
from tests.helpers.paths import FIXTURES, PROCESSES
from tests.helpers.scenario_player import ScenarioPlayer

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
    "start in branch1": (403, 403, 403, 403, 201, 201, 403, 403, 403, 403),
    "start disclosure in group1": (403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "start with a timer's business key": (403, 403, 403, 403, 422, 422, 403, 403, 403, 403),
    "start with an unknown variable": (403, 403, 403, 403, 422, 422, 403, 403, 403, 403),
    "start appraisal in branch1": (403, 403, 403, 201, 403, 201, 403, 403, 403, 403),
    "start appraisal in group1": (403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "start development in branch1": (403, 403, 403, 201, 403, 201, 403, 403, 403, 403),
    "start development choosing its version": (403, 403, 403, 403, 403, 403, 403, 403, 403, 403),
    "start disposition in branch1": (403, 403, 403, 201, 403, 201, 403, 403, 403, 403),
    "start disposition in branch2": (403, 403, 403, 201, 403, 403, 403, 403, 403, 201),
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


def _start(key: str, organization: str, **body: Any) -> Callable[[World, dict[str, str]], Any]:
    """Start a process of the repository's packages (deployed first, by the owner) in a demo organisation."""

    def call(world: World, headers: dict[str, str]) -> Any:
        package = PROCESSES / key
        upload: dict[str, Any] = {"file": (io.BytesIO((package / f"{key}.bpmn").read_bytes()), f"{key}.bpmn")}
        upload["files"] = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted(package.glob("*.dmn"))]
        owner = world.login("owner")
        deployed = world.client.post("/api/v1/process-definitions", data=upload, headers=owner, content_type="multipart/form-data")
        assert deployed.status_code in (200, 201), deployed.json
        payload = {"process_key": key, "organization_id": getattr(world.demo, organization).id, **body}
        return world.client.post("/api/v1/process-instances", headers=headers, json=payload)

    return call


ACTIONS: dict[str, Callable[[World, dict[str, str]], Any]] = {
    "list definitions": lambda w, h: w.client.get("/api/v1/process-definitions", headers=h),
    "deploy": _deploy,
    "start in branch1": lambda w, h: w.client.post(
        "/api/v1/process-instances", headers=h, json={"process_key": "disclosure_review", "organization_id": w.demo.branch1.id}
    ),
    "start disclosure in group1": _start("disclosure_review", "group1"),
    "start with a timer's business key": _start("disclosure_review", "branch1", business_key="disclosure_review@2026-10-08"),
    "start with an unknown variable": _start("disclosure_review", "branch1", data={"review_votes": {"secrecy": "pass"}}),
    "start appraisal in branch1": _start("democratic_appraisal", "branch1"),
    "start appraisal in group1": _start("democratic_appraisal", "group1"),
    "start development in branch1": _start("member_development", "branch1"),
    "start development choosing its version": _start("member_development", "branch1", data={"rule_set_version": "2014"}),
    "start disposition in branch1": _start("member_disposition", "branch1"),
    "start disposition in branch2": _start("member_disposition", "branch2"),
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


APPRAISAL_SUITE = json.loads((PROCESSES / "democratic_appraisal" / "scenarios.json").read_text(encoding="utf-8"))
ON = {"step_date": "2026-10-12"}
MEMBER1_EXCELLENT = {
    "grades": ["@drafter:qualified", "@secretary:qualified", "@reviewer:qualified", "@member1:excellent"]
    + ["@member2:qualified", "@member3:qualified", "@member6:qualified"],
    "opinion": "一名党员评为优秀。",
    **ON,
}
MEMBER1_ANALYSIS = APPRAISAL_SUITE["data"]["self_excellent"]["summary"]
APPRAISAL_ACCOUNTS = ["admin", "owner", "auditor", "committee", "drafter", "secretary", "member1", "member2", "member4"]

# stage: "self" (member1 has written their 个人自评), "graded" (waiting for the 党委), "approved" (told)
#                                                 admin owner auditor committee drafter secretary member1 member2 member4
APPRAISAL_MATRIX: dict[str, tuple[str, tuple[int, ...]]] = {
    "read member1's self-appraisal task": ("self", (200, 404, 200, 404, 404, 404, 200, 404, 404)),
    "open member1's self-appraisal page": ("self", (200, 404, 200, 404, 404, 404, 200, 404, 404)),
    "member2's self-appraisal in my tasks": ("self", (404, 404, 404, 404, 404, 404, 404, 200, 404)),
    "complete member2's self-appraisal": ("self", (403, 404, 403, 404, 404, 404, 404, 200, 404)),
    "delegate member1's self-appraisal": ("self", (403, 404, 403, 404, 404, 404, 409, 404, 404)),
    "read the appraisal": ("self", (200, 200, 200, 200, 200, 200, 403, 403, 404)),
    "read the appraisal history": ("self", (200, 200, 200, 200, 200, 200, 403, 403, 404)),
    "read the appraisal summary": ("self", (200, 200, 200, 200, 200, 200, 200, 200, 404)),
    "appraisal page shows member1's analysis": ("self", (200, 200, 200, 200, 200, 200, 200, 404, 404)),
    "appraisal page shows the grades": ("graded", (200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "read member1's grade before approval": ("graded", (200, 200, 200, 200, 404, 200, 404, 404, 404)),
    "read member1's grade after approval": ("approved", (200, 200, 200, 200, 404, 200, 200, 404, 404)),
}


class Appraisal:
    """The 民主评议 played through the API up to the row's stage."""

    def __init__(self, client, demo, session_factory, clock, stage: str):  # type: ignore[no-untyped-def]
        suite = {**APPRAISAL_SUITE, "data": {**APPRAISAL_SUITE["data"], "member1_excellent": MEMBER1_EXCELLENT}}
        self.client, self.player = client, ScenarioPlayer(client, session_factory, clock, demo, suite)
        player = self.player
        player.deploy()
        player.start({"starts_on": "2026-10-12"})
        player.play({"task": "study", "by": "secretary", "data": "study", "with": ON})
        self.task_of = {name: player.group_task("self_appraisal [child]", name)["id"] for name in ("member1", "member2")}
        player.play({"task": "self_appraisal [child]", "by": "member1", "data": "self_excellent"})
        if stage == "self":
            return
        for name in ("drafter", "secretary", "reviewer", "member2", "member3", "member6"):
            player.play({"task": "self_appraisal [child]", "by": name, "data": "self_qualified"})
        player.play({"task": "mutual_appraisal", "by": "secretary", "data": "mutual", "with": ON})
        player.play({"task": "close_ballot", "by": "secretary", "data": "close", "with": ON})
        player.play({"task": "committee_grading", "by": "secretary", "data": "member1_excellent"})
        if stage == "approved":
            player.play({"task": "higher_approval", "by": "committee", "data": "approve", "with": ON})

    @property
    def instance_id(self) -> int:
        assert self.player.instance_id is not None
        return self.player.instance_id

    def page(self, username: str, path: str) -> Any:
        sign_in(self.client, username)
        return self.client.get(path)

    def shows(self, username: str, path: str, text: str) -> int:
        page = self.page(username, path)
        return 200 if page.status_code == 200 and text in page.get_data(as_text=True) else 404

    def listed(self, username: str, task_id: str) -> int:
        found = self.client.get("/api/v1/tasks", query_string={"scope": "all", "per_page": 100}, headers=self.player.headers(username))
        return 200 if task_id in {task["id"] for task in found.json["items"]} else 404


def _status(response: Any) -> int:
    return int(response.status_code)


APPRAISAL_ACTIONS: dict[str, Callable[[Appraisal, str], int]] = {
    "read member1's self-appraisal task": lambda a, u: _status(
        a.client.get(f"/api/v1/tasks/{a.task_of['member1']}", headers=a.player.headers(u))
    ),
    "open member1's self-appraisal page": lambda a, u: _status(a.page(u, f"/tasks/{a.task_of['member1']}")),
    "member2's self-appraisal in my tasks": lambda a, u: a.listed(u, a.task_of["member2"]),
    "complete member2's self-appraisal": lambda a, u: _status(
        a.client.post(
            f"/api/v1/tasks/{a.task_of['member2']}/complete",
            json={"data": APPRAISAL_SUITE["data"]["self_qualified"]},
            headers=a.player.headers(u),
        )
    ),
    "delegate member1's self-appraisal": lambda a, u: _status(
        a.client.post(
            f"/api/v1/tasks/{a.task_of['member1']}/delegate",
            json={"person_id": a.player.people["member2"]},
            headers=a.player.headers(u),
        )
    ),
    "read the appraisal": lambda a, u: _status(a.client.get(f"/api/v1/process-instances/{a.instance_id}", headers=a.player.headers(u))),
    "read the appraisal history": lambda a, u: _status(
        a.client.get(f"/api/v1/process-instances/{a.instance_id}/history", headers=a.player.headers(u))
    ),
    "read the appraisal summary": lambda a, u: _status(
        a.client.get(f"/api/v1/process-instances/{a.instance_id}/summary", headers=a.player.headers(u))
    ),
    "appraisal page shows member1's analysis": lambda a, u: a.shows(u, f"/instances/{a.instance_id}", MEMBER1_ANALYSIS),
    "appraisal page shows the grades": lambda a, u: a.shows(u, f"/instances/{a.instance_id}", f"{a.player.people['member1']}:excellent"),
    "read member1's grade before approval": lambda a, u: _status(
        a.client.get(f"/api/v1/appraisals/{a.instance_id}/grades/{a.player.people['member1']}", headers=a.player.headers(u))
    ),
    "read member1's grade after approval": lambda a, u: _status(
        a.client.get(f"/api/v1/appraisals/{a.instance_id}/grades/{a.player.people['member1']}", headers=a.player.headers(u))
    ),
}


def test_the_appraisal_matrix_covers_every_action_and_account():
    assert set(APPRAISAL_MATRIX) == set(APPRAISAL_ACTIONS)
    assert all(len(row) == len(APPRAISAL_ACCOUNTS) for _, row in APPRAISAL_MATRIX.values())


@pytest.mark.parametrize("action", list(APPRAISAL_MATRIX))
def test_appraisal_authorization(client, demo, session_factory, clock, action):
    """One appraisal per row, asked by every account in turn (playing it up to a stage takes seconds);
    only the assignee's own completion changes it, and nobody after them in the row could see it."""
    stage, expected = APPRAISAL_MATRIX[action]
    appraisal = Appraisal(client, demo, session_factory, clock, stage)
    answers = tuple(APPRAISAL_ACTIONS[action](appraisal, account) for account in APPRAISAL_ACCOUNTS)
    assert dict(zip(APPRAISAL_ACCOUNTS, answers, strict=True)) == dict(zip(APPRAISAL_ACCOUNTS, expected, strict=True))
