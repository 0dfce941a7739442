"""How much the engine's service layer costs over bare SpiffWorkflow.

(a) bare SpiffWorkflow in memory, with a full JSON serialize + deserialize around every user task
    (what any persistent use of the library must pay at least);
(b) the engine's InstanceService on a real database: every command is a transaction that locks,
    restores, runs, projects the inbox, appends hash-chained audit events and commits.
Both run the same process: start -> 3 user tasks with 2 script tasks between -> end.

Usage: python bench/engine_overhead.py [--instances 200] [--rounds 5] [--database-url URL]
The two sides run in alternating rounds, so a slow spell of a shared machine falls on both; the
last line is the median over the rounds of the ratio (b)/(a) in time per instance. The goal is
<= 2.5 on SQLite. `--only bare|engine` runs one side and prints nothing (engine_instructions.py
counts its instructions).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
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

from engine.audit import anchor_sessions  # noqa: E402
from engine.audit_checkpoints import AuditAnchor  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.definitions.deployment import deploy  # noqa: E402
from engine.instances.serialization import spec_from_json, spec_to_json, state_from_json, state_to_json  # noqa: E402
from engine.instances.service import InstanceService  # noqa: E402
from engine.models import Organization, OrganizationKind, TaskStatus, UserTask  # noqa: E402
from engine.schema import upgrade_to_head  # noqa: E402

PROCESS = Path(__file__).parent / "fixtures" / "three_approvals.bpmn"
SUBMISSIONS = ({"title": "党费收缴使用情况"}, {"outcome": "pass"}, {"approved": True})
# The harness's own lookup of the next open task, built once like any caller's query would be.
OPEN_TASK = select(UserTask.id).where(UserTask.instance_id == bindparam("instance_id"), UserTask.status == TaskStatus.OPEN)


class BareRun:
    """(a): the library alone, in memory, serializing the whole workflow around every user task."""

    def __init__(self) -> None:
        parser = SpiffBpmnParser(validator=VALIDATOR)
        parser.add_bpmn_file(str(PROCESS))
        self.spec = parser.get_spec("three_approvals")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def run(self, instances: int) -> float:
        started = time.perf_counter()
        for _ in range(instances):
            workflow = BpmnWorkflow(self.spec)
            workflow.do_engine_steps()
            for data in SUBMISSIONS:
                workflow = self.serializer.deserialize_json(self.serializer.serialize_json(workflow))
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.set_data(**data)
                task.run()
                workflow.do_engine_steps()
            assert workflow.is_completed()
        return time.perf_counter() - started


class EngineRun:
    """(b): the engine's InstanceService, each command its own transaction on a real database."""

    def __init__(self, database_url: str, scratch: str) -> None:
        self.db = make_engine(database_url)
        upgrade_to_head(self.db)
        # The audit chain is keyed and checkpointed to a file, as in production.
        anchor = AuditAnchor(key=secrets.token_bytes(32), checkpoint_path=Path(scratch) / "audit-checkpoints.jsonl")
        self.sessions = anchor_sessions(make_session_factory(self.db), anchor)
        with self.sessions() as session:
            deploy(session, {PROCESS.name: PROCESS.read_bytes()})
            branch = Organization(name="基准测试支部", kind=OrganizationKind.BRANCH, created_at=datetime(2026, 1, 1))
            session.add(branch)
            session.commit()
            self.branch_id = branch.id

    def run(self, instances: int) -> float:
        started = time.perf_counter()
        with self.sessions() as session:
            service = InstanceService(session)
            for _ in range(instances):
                instance = service.start("three_approvals", self.branch_id)
                for data in SUBMISSIONS:
                    task_id = session.scalars(OPEN_TASK, {"instance_id": instance.id}).one()
                    service.complete_task(task_id, data, actor_id=None)
                assert instance.status == "completed", instance.status
        return time.perf_counter() - started

    def close(self) -> None:
        self.db.dispose()


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


def run_one_side(side: str, instances: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        if side == "bare":
            BareRun().run(instances)
        else:
            engine = EngineRun(database_url or f"sqlite:///{scratch}/bench.db", scratch)
            engine.run(instances)
            engine.close()


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--instances", type=int, default=200, help="per side, over all rounds")
    arguments.add_argument("--rounds", type=int, default=5)
    arguments.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    arguments.add_argument("--only", choices=("bare", "engine"), help="run one side once, print nothing")
    options = arguments.parse_args()
    if options.only is not None:
        run_one_side(options.only, options.instances, options.database_url)
        return
    per_round = max(1, options.instances // options.rounds)

    full_cost, state_cost, full_size, state_size = state_only_saving()
    print(f"load+save, full library JSON : {full_cost * 1e3:7.3f} ms  ({full_size} bytes)")
    print(f"load+save, state only        : {state_cost * 1e3:7.3f} ms  ({state_size} bytes)")

    with tempfile.TemporaryDirectory() as scratch:
        url = options.database_url or f"sqlite:///{scratch}/bench.db"
        bare, engine = BareRun(), EngineRun(url, scratch)
        bare.run(per_round // 4 + 1), engine.run(per_round // 4 + 1)  # warm caches on both sides alike
        timings = [(bare.run(per_round), engine.run(per_round)) for _ in range(options.rounds)]
        engine.close()
    bare_total = sum(bare_time for bare_time, _ in timings)
    engine_total = sum(engine_time for _, engine_time in timings)
    ratios = [engine_time / bare_time for bare_time, engine_time in timings]
    done = per_round * options.rounds
    label = url.split(":", 1)[0]
    print(f"(a) bare SpiffWorkflow + JSON : {done / bare_total:8.1f} instances/s")
    print(f"(b) engine service on {label:<8}: {done / engine_total:8.1f} instances/s")
    print(f"rounds of {per_round}: ratios {' '.join(f'{ratio:.2f}' for ratio in ratios)}")
    print(f"ratio (b)/(a) time per instance: {statistics.median(ratios):.2f}x (median of {options.rounds} rounds)")


if __name__ == "__main__":
    main()
