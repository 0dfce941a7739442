"""Playing a process scenario (processes/<key>/scenarios.json) through the HTTP API, step by step.

A scenario is data: who submits what at each step (and on which date), which tasks must be open,
which submissions are refused and why, what gets published or recorded, and how the instance ends.
The clock is injected: a step dated later than "today" moves the clock to that day (10:00 Beijing)
and fires whatever timers fell due on the way, as the timer daemon would. The player only
interprets the data.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.calendar import seed_from_package
from engine.calendar.seeding import publish_year
from engine.clock import FrozenClock
from engine.models import MembershipStatus, PartyStanding, Person, ProcessInstance
from engine.party.demo_organization import DemoOrganization
from engine.timers.delivery import fire_due_timers
from processes import EXTENSIONS
from tests.helpers.paths import PROCESSES

BEIJING = timedelta(hours=8)
PUBLISHED_CALENDAR_YEARS = [2024, 2025, 2026]


def load_scenarios() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in sorted(PROCESSES.glob("*/scenarios.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        cases.extend((suite, scenario) for scenario in suite["scenarios"])
    return cases


class ScenarioPlayer:
    def __init__(self, client: FlaskClient, sessions, clock: FrozenClock, demo: DemoOrganization, suite: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.client, self.sessions, self.clock, self.demo, self.suite = client, sessions, clock, demo, suite
        self.instance_id: int | None = None
        self._tokens: dict[str, str] = {}
        with sessions() as session:
            seed_from_package(session, clock, PUBLISHED_CALENDAR_YEARS)
            session.commit()
            self.people = {person.username: person.id for person in session.scalars(select(Person))}

    # -- the actors ---------------------------------------------------------------------

    def headers(self, username: str) -> dict[str, str]:
        """Sign in as the user today (tokens expire, and scenarios move through years)."""
        if username not in self._tokens:
            response = self.client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
            assert response.status_code == 201, response.json
            self._tokens[username] = response.json["token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def resolve(self, value: Any) -> Any:
        """`@username` in scenario data stands for that person's id."""
        if isinstance(value, str) and value.startswith("@"):
            username, colon, rest = value[1:].partition(":")  # "@member1:excellent" -> "<id>:excellent"
            return f"{self.people[username]}:{rest}" if colon else self.people[username]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    # -- time ---------------------------------------------------------------------------

    def today(self) -> date:
        return (self.clock.now() + BEIJING).date()

    @staticmethod
    def morning_of(day: date) -> datetime:
        """10:00 Beijing time that day, as the naive UTC the engine keeps."""
        return datetime.combine(day, datetime.min.time()) + timedelta(hours=10) - BEIJING

    def move_to(self, day: date) -> None:
        if day > self.today():
            self.clock.set(self.morning_of(day))
            self._tokens.clear()
            fire_due_timers(self.sessions, self.clock, EXTENSIONS)

    # -- the process --------------------------------------------------------------------

    def deploy(self, key: str | None = None) -> None:
        key = key or self.suite["process"]
        upload: dict[str, Any] = {"file": (io.BytesIO((PROCESSES / key / f"{key}.bpmn").read_bytes()), f"{key}.bpmn")}
        upload["files"] = [(io.BytesIO(path.read_bytes()), path.name) for path in sorted((PROCESSES / key).glob("*.dmn"))]
        response = self.client.post(
            "/api/v1/process-definitions", data=upload, headers=self.headers("owner"), content_type="multipart/form-data"
        )
        assert response.status_code in (200, 201), response.json

    def start(self, scenario: dict[str, Any]) -> None:
        if "starts_on" in scenario:
            self.clock.set(self.morning_of(date.fromisoformat(scenario["starts_on"])))
            self._tokens.clear()
        if "rule_set" in scenario:
            self.choose_rule_set(scenario["rule_set"])
        response = self.post_start({})
        assert response.status_code == 201, response.json
        self.instance_id = response.json["id"]
        if "rule_set" in scenario:
            assert response.json["rule_set_version"] == scenario["rule_set"]

    def choose_rule_set(self, version: str) -> None:
        """The regulation version a scenario runs under, chosen for the organisation by the 组织员 (a
        branch secretary starting a case may not pick one)."""
        organization_id = getattr(self.demo, self.suite["organization"]).id
        rule_set = self.suite.get("rule_set_name", self.suite["process"])
        response = self.client.put(
            f"/api/v1/organizations/{organization_id}/rule-sets/{rule_set}", json={"version": version}, headers=self.headers("owner")
        )
        assert response.status_code == 200, response.json

    def post_start(self, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        organization_id = getattr(self.demo, self.suite["organization"]).id
        return self.client.post(
            "/api/v1/process-instances",
            json={"process_key": self.suite["process"], "organization_id": organization_id, "data": data},
            headers=self.headers(self.suite["started_by"]),
        )

    def start_refused(self, expected: dict[str, Any]) -> None:
        """Starting the process again for the same organisation is refused, and starts nothing."""
        with self.sessions() as session:
            before = session.scalars(select(ProcessInstance.id)).all()
        response = self.post_start({})
        assert response.status_code == expected["status"], response.json
        assert expected["contains"] in response.json["message"], response.json
        with self.sessions() as session:
            assert session.scalars(select(ProcessInstance.id)).all() == before

    def play(self, step: dict[str, Any]) -> None:
        if "task" in step:
            self.task_step(step)
        elif "steps_of" in step:
            for inner in self.suite["paths"][step["steps_of"]]:
                self.play(inner)
        elif "open" in step:
            assert sorted(t["element_id"] for t in self.instance()["open_tasks"]) == sorted(step["open"])
        elif "due" in step:
            self.check_due(step["due"])
        elif "waiting" in step:
            timers = {t["element_id"]: t for t in self.instance()["pending_timers"] if t["kind"] == "bpmn"}
            assert step["waiting"] in timers, timers
        elif "on" in step:
            self.move_to(date.fromisoformat(step["on"]))
        elif "publish_calendar" in step:
            with self.sessions() as session:
                publish_year(session, self.clock, step["publish_calendar"], reason="国务院办公厅通知已发布")
                session.commit()
        elif "standing" in step:
            self.check_standing(step["standing"])
        elif "set_standing" in step:
            self.set_standing(step["set_standing"])
        elif "switch_to" in step:
            self.switch_to(step["switch_to"])
        elif "records" in step:
            self.check_records(step["records"])
        elif "deploy" in step:
            self.deploy(step["deploy"])
        elif "ballot" in step:
            self.cast_ballot(step["ballot"])
        elif "notified" in step:
            self.check_notified(step["notified"])
        elif "follow_up" in step:
            self.check_follow_up(step["follow_up"])
        elif "published" in step and step["published"] is None:
            assert self.disclosure(as_user=self.suite["started_by"]) is None, "readers still see it"
        elif "published" in step:
            record = self.disclosure(as_user=self.suite["started_by"])
            assert record is not None, "nothing was published"
            for field, expected in step["published"].items():
                assert record[field] == expected, (field, record)
        elif "opinion" in step:
            self.leave_opinion(step["opinion"])
        elif "start_again" in step:
            self.start_refused(step["start_again"])
        else:
            raise AssertionError(f"unknown step {step}")

    def task_step(self, step: dict[str, Any]) -> None:
        data = dict(self.suite["data"][step["data"]]) if "data" in step else {}
        if "on" in step:
            data["step_date"] = step["on"]
            self.move_to(date.fromisoformat(step["on"]))
        data.update(step.get("with", {}))
        data = self.resolve(data)
        if "refused" in step:
            self.refused(step["task"], step["by"], data, step["refused"])
        else:
            self.complete(step["task"], step["by"], data)

    def complete(self, element_id: str, username: str, data: dict[str, Any]) -> None:
        task = self.group_task(element_id, username)
        response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=self.headers(username))
        assert response.status_code == 200, response.json
        assert response.json["status"] == "completed" and response.json["completed_by_id"] is not None

    def refused(self, element_id: str, username: str, data: dict[str, Any], expected: dict[str, Any]) -> None:
        """The submission is refused with a message naming what is wrong, and nothing changes."""
        task = self.group_task(element_id, username)
        before = self.instance()
        response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=self.headers(username))
        assert response.status_code == 422, response.json
        messages = response.json["errors"][expected["field"]]
        for fragment in expected["contains"]:
            assert any(fragment in message for message in messages), (fragment, messages)
        after = self.instance()
        assert after["version"] == before["version"]
        assert [t["id"] for t in after["open_tasks"]] == [t["id"] for t in before["open_tasks"]]

    def group_task(self, element_id: str, username: str) -> dict[str, Any]:
        """The task as the user finds it: in their group inbox, filtered to this process."""
        response = self.client.get(
            "/api/v1/tasks",
            query_string={"scope": "group", "process_key": self.suite["process"], "per_page": 100},
            headers=self.headers(username),
        )
        assert response.status_code == 200, response.json
        mine = [t for t in response.json["items"] if t["instance_id"] == self.instance_id and t["element_id"] == element_id]
        assert len(mine) == 1, f"{username} does not see {element_id}: {[t['element_id'] for t in response.json['items']]}"
        return mine[0]

    def check_due(self, expected: dict[str, Any]) -> None:
        task = next(t for t in self.instance()["open_tasks"] if t["element_id"] == expected["task"])
        if expected["date"] is None:
            assert task["due_at"] is None, task
        else:
            due_in_beijing = datetime.fromisoformat(task["due_at"]).replace(tzinfo=None) + BEIJING
            assert due_in_beijing.isoformat().startswith(expected["date"]), (expected, due_in_beijing)

    def check_standing(self, expected: dict[str, Any]) -> None:
        with self.sessions() as session:
            standing = session.get(PartyStanding, self.resolve(expected["person"]))
            assert standing is not None
            for field, value in expected.items():
                if field != "person":
                    actual = getattr(standing, field)
                    assert (actual.isoformat() if isinstance(actual, date) else str(actual)) == str(value), (field, actual)

    def set_standing(self, given: dict[str, Any]) -> None:
        """Where a person stands before the scenario begins (e.g. a probationary member), as the records would show."""
        with self.sessions() as session:
            standing = session.get(PartyStanding, self.resolve(given["person"]))
            assert standing is not None
            for field, value in given.items():
                if field == "status":
                    standing.status = MembershipStatus(value)
                elif field != "person":
                    setattr(standing, field, date.fromisoformat(value) if isinstance(value, str) else value)
            session.commit()

    def switch_to(self, suite: dict[str, Any]) -> None:
        """Go on with an instance of another process (e.g. someone struck off applies again), same people and clock."""
        self.suite = {**self.suite, **suite}
        self.deploy()
        self.start({})

    def check_records(self, expected: dict[str, Any]) -> None:
        response = self.client.get(f"/api/v1/process-instances/{self.instance_id}/records", headers=self.headers("owner"))
        assert response.status_code == 200, response.json
        records = response.json
        assert [r["step"] for r in records] == expected["steps"]
        for record in records:
            assert record["record_date"] and record["title"]

    def cast_ballot(self, ballot: dict[str, Any]) -> None:
        """民主测评: one member's anonymous ballot; `refused` is the expected status and message fragment."""
        grades = {str(self.resolve(member)): grade for member, grade in ballot["grades"].items()}
        response = self.client.post(
            f"/api/v1/appraisals/{self.instance_id}/ballots", json={"grades": grades}, headers=self.headers(ballot["by"])
        )
        if "refused" in ballot:
            assert response.status_code == ballot["refused"]["status"], response.json
            assert ballot["refused"]["contains"] in json.dumps(response.json, ensure_ascii=False), response.json
        else:
            assert response.status_code == 201, response.json

    def check_notified(self, expected: dict[str, Any]) -> None:
        response = self.client.get("/api/v1/notifications", headers=self.headers(expected["person"]))
        assert response.status_code == 200, response.json
        messages = [n["message"] for n in response.json if n["instance_id"] == self.instance_id]
        assert any(expected["contains"] in message for message in messages), messages

    def check_follow_up(self, expected: dict[str, Any]) -> None:
        """A process this instance started (`key` ends its business key), or `null` when none was."""
        key = ":".join(str(self.resolve(part)) for part in expected["key"].split(":"))
        business_key = f"{self.suite['process']}:{self.instance_id}:{key}"
        with self.sessions() as session:
            found = session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == business_key)).first()
            found_id = found.id if found is not None else None
        if expected.get("process") is None:
            assert found_id is None, business_key
            return
        assert found_id is not None, business_key
        response = self.client.get(f"/api/v1/process-instances/{found_id}", headers=self.headers("admin"))
        assert response.json["process_key"] == expected["process"], response.json
        assert sorted(t["element_id"] for t in response.json["open_tasks"]) == sorted(expected["open"])

    def instance(self) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/process-instances/{self.instance_id}", headers=self.headers("admin"))
        assert response.status_code == 200, response.json
        return response.json

    def disclosure(self, as_user: str | None) -> dict[str, Any] | None:
        headers = self.headers(as_user) if as_user else {}
        response = self.client.get("/api/v1/disclosures", headers=headers)
        assert response.status_code == 200, response.json
        return next((d for d in response.json if d["instance_id"] == self.instance_id), None)

    def leave_opinion(self, opinion: dict[str, Any]) -> None:
        record = self.disclosure(as_user=None if opinion["by"] == "anonymous" else opinion["by"])
        assert record is not None, f"{opinion['by']} cannot see the disclosure"
        headers = {} if opinion["by"] == "anonymous" else self.headers(opinion["by"])
        body = {"content": opinion["content"], "is_objection": opinion["is_objection"]}
        response = self.client.post(f"/api/v1/disclosures/{record['id']}/opinions", json=body, headers=headers)
        assert response.status_code == 201, response.json
