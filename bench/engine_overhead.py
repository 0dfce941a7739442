"""How much the engine's service layer costs over bare SpiffWorkflow.

(a) bare SpiffWorkflow in memory, with a full JSON serialize + deserialize around every user task
    (what any persistent use of the library must pay at least);
(b) the engine's InstanceService on a real database: every command is a transaction that locks,
    restores, runs, projects the inbox, appends hash-chained audit events and commits.
Both run the same process: start -> 3 user tasks with 2 script tasks between -> end.

Usage: python bench/engine_overhead.py [--instances 200] [--database-url URL]
The last line is the ratio (b)/(a) in time per instance; the goal is <= 2.5 on SQLite.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.task import TaskState  # noqa: E402
from sqlalchemy import bindparam, select  # noqa: E402

from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.deployment import deploy  # noqa: E402
from engine.instance_service import InstanceService  # noqa: E402
from engine.models import Organization, OrganizationKind, TaskStatus, UserTask  # noqa: E402
from engine.schema import upgrade_to_head  # noqa: E402
from engine.serialization import spec_from_json, spec_to_json, state_from_json, state_to_json  # noqa: E402

PROCESS = Path(__file__).parent / "fixtures" / "three_approvals.bpmn"
SUBMISSIONS = ({"title": "党费收缴使用情况"}, {"outcome": "pass"}, {"approved": True})
# The harness's own lookup of the next open task, built once like any caller's query would be.
OPEN_TASK = select(UserTask.id).where(
    UserTask.instance_id == bindparam("instance_id"), UserTask.status == TaskStatus.OPEN
)


def run_bare(instances: int) -> float:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(PROCESS))
    spec = parser.get_spec("three_approvals")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    started = time.perf_counter()
    for _ in range(instances):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        for data in SUBMISSIONS:
            workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
        assert workflow.is_completed()
    return time.perf_counter() - started


def run_engine(instances: int, database_url: str) -> float:
    db = make_engine(database_url)
    upgrade_to_head(db)
    sessions = make_session_factory(db)
    with sessions() as session:
        deploy(session, {PROCESS.name: PROCESS.read_bytes()})
        branch = Organization(name="基准测试支部", kind=OrganizationKind.BRANCH, created_at=datetime(2026, 1, 1))
        session.add(branch)
        session.commit()
        branch_id = branch.id
    started = time.perf_counter()
    with sessions() as session:
        service = InstanceService(session)
        for _ in range(instances):
            instance = service.start("three_approvals", branch_id)
            for data in SUBMISSIONS:
                task_id = session.scalars(OPEN_TASK, {"instance_id": instance.id}).one()
                service.complete_task(task_id, data, actor_id=None)
            assert instance.status == "completed", instance.status
    elapsed = time.perf_counter() - started
    db.dispose()
    return elapsed


def state_only_saving(rounds: int = 300) -> tuple[float, float, int, int]:
    """Load+save of one mid-process instance: full library JSON (spec inside) vs state only."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(PROCESS))
    spec = parser.get_spec("three_approvals")
    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    bundle = spec_from_json(spec_to_json(spec, {}))
    full_text, state_text = full.serialize_json(workflow), state_to_json(workflow)
    began = time.perf_counter()
    for _ in range(rounds):
        full.serialize_json(full.deserialize_json(full_text))
    full_cost = (time.perf_counter() - began) / rounds
    began = time.perf_counter()
    for _ in range(rounds):
        state_to_json(state_from_json(state_text, bundle))
    state_cost = (time.perf_counter() - began) / rounds
    return full_cost, state_cost, len(full_text), len(state_text)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--instances", type=int, default=200)
    arguments.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    options = arguments.parse_args()

    full_cost, state_cost, full_size, state_size = state_only_saving()
    print(f"load+save, full library JSON : {full_cost * 1e3:7.3f} ms  ({full_size} bytes)")
    print(f"load+save, state only        : {state_cost * 1e3:7.3f} ms  ({state_size} bytes)")

    bare = run_bare(options.instances)
    with tempfile.TemporaryDirectory() as scratch:
        url = options.database_url or f"sqlite:///{scratch}/bench.db"
        engine_time = run_engine(options.instances, url)
    label = url.split(":", 1)[0]
    print(f"(a) bare SpiffWorkflow + JSON : {options.instances / bare:8.1f} instances/s")
    print(f"(b) engine service on {label:<8}: {options.instances / engine_time:8.1f} instances/s")
    print(f"ratio (b)/(a) time per instance: {engine_time / bare:.2f}x")


if __name__ == "__main__":
    main()
