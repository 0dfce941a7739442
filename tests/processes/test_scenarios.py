"""Every process scenario in processes/*.scenarios.json, played through the HTTP API.

A scenario is data: who submits what at each step, which tasks must be open, what gets published,
who may read it, and how the instance ends. This runner only interprets it.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def load_scenarios() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    cases = []
    for path in sorted(PROCESSES.glob("*.scenarios.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        cases.extend((suite, scenario) for scenario in suite["scenarios"])
    return cases


CASES = load_scenarios()


class ScenarioPlayer:
    def __init__(self, client: FlaskClient, login, demo, suite: dict[str, Any]):  # type: ignore[no-untyped-def]
        self.client, self.login, self.demo, self.suite = client, login, demo, suite
        self.instance_id: int | None = None

    def deploy(self) -> None:
        key = self.suite["process"]
        upload = {"file": (io.BytesIO((PROCESSES / f"{key}.bpmn").read_bytes()), f"{key}.bpmn")}
        response = self.client.post(
            "/api/v1/process-definitions", data=upload, headers=self.login("owner"), content_type="multipart/form-data"
        )
        assert response.status_code in (200, 201), response.json

    def start(self) -> None:
        organization = getattr(self.demo, self.suite["organization"])
        response = self.client.post(
            "/api/v1/process-instances",
            json={"process_key": self.suite["process"], "organization_id": organization.id},
            headers=self.login(self.suite["started_by"]),
        )
        assert response.status_code == 201, response.json
        self.instance_id = response.json["id"]

    def play(self, step: dict[str, Any]) -> None:
        if "task" in step:
            self.complete(step["task"], step["by"], self.suite["data"][step["data"]])
        elif "open" in step:
            assert sorted(t["element_id"] for t in self.instance()["open_tasks"]) == sorted(step["open"])
        elif "published" in step and step["published"] is None:
            assert self.disclosure(as_user=self.suite["started_by"]) is None, "readers still see it"
        elif "published" in step:
            record = self.disclosure(as_user=self.suite["started_by"])
            assert record is not None, "nothing was published"
            for field, expected in step["published"].items():
                assert record[field] == expected, (field, record)
        elif "opinion" in step:
            self.leave_opinion(step["opinion"])
        else:
            raise AssertionError(f"unknown step {step}")

    def complete(self, element_id: str, username: str, data: dict[str, Any]) -> None:
        task = self.group_task(element_id, username)
        response = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=self.login(username))
        assert response.status_code == 200, response.json
        assert response.json["status"] == "completed" and response.json["completed_by_id"] is not None

    def group_task(self, element_id: str, username: str) -> dict[str, Any]:
        """The task as the user finds it: in their group inbox, filtered to this process."""
        response = self.client.get(
            "/api/v1/tasks", query_string={"scope": "group", "process_key": self.suite["process"], "per_page": 100},
            headers=self.login(username),
        )
        assert response.status_code == 200, response.json
        mine = [t for t in response.json["items"] if t["instance_id"] == self.instance_id and t["element_id"] == element_id]
        assert len(mine) == 1, f"{username} does not see {element_id}: {response.json['items']}"
        return mine[0]

    def instance(self) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/process-instances/{self.instance_id}", headers=self.login("admin"))
        assert response.status_code == 200, response.json
        return response.json

    def disclosure(self, as_user: str | None) -> dict[str, Any] | None:
        headers = self.login(as_user) if as_user else {}
        response = self.client.get("/api/v1/disclosures", headers=headers)
        assert response.status_code == 200, response.json
        return next((d for d in response.json if d["instance_id"] == self.instance_id), None)

    def leave_opinion(self, opinion: dict[str, Any]) -> None:
        record = self.disclosure(as_user=None if opinion["by"] == "anonymous" else opinion["by"])
        assert record is not None, f"{opinion['by']} cannot see the disclosure"
        headers = {} if opinion["by"] == "anonymous" else self.login(opinion["by"])
        body = {"content": opinion["content"], "is_objection": opinion["is_objection"]}
        response = self.client.post(f"/api/v1/disclosures/{record['id']}/opinions", json=body, headers=headers)
        assert response.status_code == 201, response.json


@pytest.mark.parametrize(("suite", "scenario"), CASES, ids=[f"{s['process']}:{c['name']}" for s, c in CASES])
def test_scenario(client, login, demo, suite, scenario):
    player = ScenarioPlayer(client, login, demo, suite)
    player.deploy()
    player.start()
    for step in scenario["steps"]:
        player.play(step)

    end = scenario["end"]
    instance = player.instance()
    assert (instance["status"], instance["end_event_id"]) == (end["status"], end["end_event"])
    assert instance["open_tasks"] == []
    record = player.disclosure(as_user=suite["started_by"])
    assert (record["status"] if record else None) == end["disclosure"]
    for reader, may_read in scenario.get("readers", {}).items():
        assert (player.disclosure(None if reader == "anonymous" else reader) is not None) == may_read, reader
    verify = client.get("/api/v1/audit/verify", headers=login("auditor")).json
    assert verify["ok"], verify


def test_every_process_has_scenarios():
    with_scenarios = {suite["process"] for suite, _ in CASES}
    assert {path.stem for path in PROCESSES.glob("*.bpmn")} <= with_scenarios
