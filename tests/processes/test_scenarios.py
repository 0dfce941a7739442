"""Every process scenario in processes/<key>/scenarios.json, played through the HTTP API by
tests/helpers/scenario_player.py."""

from __future__ import annotations

import pytest

from tests.helpers.paths import PROCESSES
from tests.helpers.scenario_player import ScenarioPlayer, load_scenarios

CASES = load_scenarios()


@pytest.mark.parametrize(("suite", "scenario"), CASES, ids=[f"{s['process']}:{c['name']}" for s, c in CASES])
def test_scenario(client, demo, session_factory, clock, suite, scenario):
    player = ScenarioPlayer(client, session_factory, clock, demo, suite)
    player.deploy()
    player.start(scenario)
    for step in scenario["steps"]:
        player.play(step)

    end = scenario["end"]
    instance = player.instance()
    assert (instance["status"], instance["end_event_id"]) == (end["status"], end.get("end_event"))
    if "open" in end:
        assert sorted(t["element_id"] for t in instance["open_tasks"]) == sorted(end["open"])
    elif end["status"] != "running":
        assert instance["open_tasks"] == []
    if "disclosure" in end:
        record = player.disclosure(as_user=suite["started_by"])
        assert (record["status"] if record else None) == end["disclosure"]
    for reader, may_read in scenario.get("readers", {}).items():
        assert (player.disclosure(None if reader == "anonymous" else reader) is not None) == may_read, reader
    verify = client.get("/api/v1/audit/verify", headers=player.headers("auditor")).json
    assert verify["ok"], verify


def test_every_process_has_scenarios():
    with_scenarios = {suite["process"] for suite, _ in CASES}
    deployed = {path.stem for path in PROCESSES.glob("*/*.bpmn")}
    assert len(deployed) == 4 and deployed <= with_scenarios
