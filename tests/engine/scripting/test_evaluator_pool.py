"""Hard limits: scripts and expressions run in evaluator processes, so one C call cannot hold the
engine's process past the time limit, an allocation cannot grow it past the memory budget, a dead
evaluator is replaced, and only values the database can hold come back."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.errors import ScriptRejected
from engine.models import Incident, InstanceStatus
from engine.scripting import DEFAULT_TIME_LIMIT_S, SandboxedScriptEngine
from engine.scripting.evaluator_pool import EvaluatorLimits, EvaluatorPool, shared_pool
from tests.engine.scripting.test_sandbox import FIXTURES, load_workflow, only_task, refusal, script_workflow

# One list comparison per element, all inside list.count: about 10^10 comparisons in one C call.
ONE_LONG_C_CALL = "a = list(range(10**6))\nb = list(range(10**6))\nb[-1] = -1\nn = ([a] * 10**4).count(b)"
TWO_GIGABYTES = "blocks = ['x' * 10**6 for i in range(2100)]"
GRACE_S = EvaluatorLimits().kill_grace_s
BUSY_MACHINE_MARGIN_S = 5.0  # the database work around it, on a loaded test machine


class CountingPool(EvaluatorPool):
    def __init__(self, limits: EvaluatorLimits | None = None):
        super().__init__(limits)
        self.requests: list[str] = []

    def request(self, message: dict[str, Any], time_limit_s: float) -> dict[str, Any]:
        self.requests.append(message["source"])
        return super().request(message, time_limit_s)


@pytest.fixture(scope="module")
def pool() -> Iterator[CountingPool]:
    """One evaluator, so that the test knows which process is busy."""
    started = CountingPool(EvaluatorLimits(workers=1))
    started.start()
    yield started
    started.close()


@pytest.fixture
def pooled(pool: CountingPool) -> SandboxedScriptEngine:
    pool.requests.clear()
    return SandboxedScriptEngine(pool=pool)


def package(script: str) -> dict[str, bytes]:
    template = (FIXTURES / "script_task.bpmn").read_text(encoding="utf-8")
    return {"script.bpmn": template.replace("SCRIPT_UNDER_TEST", escape(script)).encode("utf-8")}


def longest_pause_while(action: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run `action` while another thread of this process ticks every 10 ms; return its result, how
    long it took, and the longest the ticking thread had to wait (what a second request would)."""
    pauses: list[float] = []
    done = threading.Event()

    def tick() -> None:
        last = time.monotonic()
        while not done.is_set():
            time.sleep(0.01)
            now = time.monotonic()
            pauses.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.monotonic()
    try:
        result = action()
    finally:
        elapsed = time.monotonic() - started
        done.set()
        ticker.join()
    return result, elapsed, max(pauses)


# -- through the instance service, as a request or a job runs it ------------------------------------


def test_one_long_c_call_is_stopped_at_the_time_limit_and_the_process_stays_responsive(session, service, clock, org_tree):
    deploy(session, package(ONE_LONG_C_CALL), clock=clock)
    instance, elapsed, longest_pause = longest_pause_while(lambda: service.start("sandbox_script", org_tree.branch_a.id))
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert incident.element_id == "run_script"
    assert "脚本运行超时，已强制停止 (script exceeded its time limit and was stopped after 2 s)" in incident.message
    assert elapsed < DEFAULT_TIME_LIMIT_S + GRACE_S + BUSY_MACHINE_MARGIN_S
    assert longest_pause < DEFAULT_TIME_LIMIT_S  # the C call itself takes minutes


def test_allocating_two_gigabytes_is_refused_by_the_memory_limit(session, service, clock, org_tree):
    # Time enough for 2 GB on a loaded machine: the memory limit, not the time limit, must stop it.
    service.script_engine = SandboxedScriptEngine(time_limit_s=30, pool=shared_pool())
    deploy(session, package(TWO_GIGABYTES), clock=clock)
    instance = service.start("sandbox_script", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert "脚本超出内存限制 (script exceeded its memory limit)" in incident.message
    assert "blocks" not in instance.state_json

    deploy(session, package("total = sum([Decimal('0.10')] * 3)"), clock=clock)
    assert service.start("sandbox_script", org_tree.branch_a.id).status == InstanceStatus.COMPLETED


def test_a_set_left_in_task_data_is_an_incident_naming_it(session, service, clock, org_tree):
    deploy(session, package("names = {'张三', '李四'}"), clock=clock)
    instance = service.start("sandbox_script", org_tree.branch_a.id)
    assert instance.status == InstanceStatus.INCIDENT
    incident = session.scalars(select(Incident).where(Incident.instance_id == instance.id)).one()
    assert "只能是 JSON 值" in incident.message and "['names']" in incident.message and "set" in incident.message


def test_the_instance_service_evaluates_in_the_shared_pool(service):
    assert service.script_engine.environment.pool is shared_pool()


# -- the pool ------------------------------------------------------------------------------------


def test_an_evaluator_killed_mid_evaluation_is_replaced_and_the_next_evaluation_works(pool: CountingPool):
    engine = SandboxedScriptEngine(time_limit_s=30, pool=pool)
    assert engine.environment.evaluate("1 + 1", {}) == 2  # started and answering
    (busy,) = pool.pids()
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            engine.environment.execute(ONE_LONG_C_CALL, {})
        except ScriptRejected as error:
            errors.append(error)

    running = threading.Thread(target=evaluate)
    running.start()
    time.sleep(0.5)
    os.kill(busy, signal.SIGKILL)
    running.join(timeout=10)
    assert not running.is_alive()
    assert "沙箱求值进程意外退出" in errors[0].message
    (replacement,) = pool.pids()
    assert replacement != busy
    context: dict[str, Any] = {"amount": 2}
    engine.environment.execute("doubled = amount * 2", context)
    assert context == {"amount": 2, "doubled": 4}


def test_an_evaluator_killed_while_idle_is_replaced(pooled: SandboxedScriptEngine, pool: CountingPool):
    (idle,) = pool.pids()
    os.kill(idle, signal.SIGKILL)
    time.sleep(0.1)
    assert pooled.environment.evaluate("amount > 1", {"amount": 2}) is True
    assert pool.pids() != [idle]


@pytest.mark.parametrize(
    ("script", "refused"),
    [
        ("names = {'张三'}", "['names']: 不支持的类型 (unsupported type): set"),
        ("rule = lambda n: n", ""),  # a function is not data: dropped, as in-process
        ("votes = {1: '同意'}", "['votes']: 字典的键必须是文本 (dictionary keys must be text): 1"),
        ("rows = [[1], [2, range(3)]]", "['rows'][1][1]: 不支持的类型 (unsupported type): range"),
        ("ratio = float('nan')", "['ratio']: 不是有限数 (not a finite number): nan"),
        ("deep = []\nfor i in range(200):\n    deep = [deep]", "嵌套过深 (nested more than 100 deep)"),
    ],
    ids=["set", "function", "int-key", "range", "nan", "deep"],
)
def test_only_values_the_database_can_hold_come_back(pooled: SandboxedScriptEngine, script: str, refused: str):
    context: dict[str, Any] = {"kept": 1}
    if not refused:
        pooled.environment.execute(script, context)
        assert context == {"kept": 1}
        return
    with pytest.raises(ScriptRejected) as raised:
        pooled.environment.execute(script, context)
    assert "脚本数据只能是 JSON 值、Decimal 或日期时间" in raised.value.message
    assert refused in raised.value.message
    assert context == {"kept": 1}  # a refused script changes nothing


def test_an_expression_whose_value_is_not_data_is_refused(pooled: SandboxedScriptEngine):
    with pytest.raises(ScriptRejected, match=r"结果 \(result\): 不支持的类型 \(unsupported type\): filter"):
        pooled.environment.evaluate("filter(None, members)", {"members": [1]})


def test_task_data_that_is_not_json_is_refused_before_running(pooled: SandboxedScriptEngine, pool: CountingPool):
    with pytest.raises(ScriptRejected, match=r"任务数据 \(task data\)\['tags'\]: 不支持的类型 \(unsupported type\): set"):
        pooled.environment.execute("n = 1", {"tags": {"a"}})
    assert pool.requests == ["n = 1"]  # asked for, but refused before it was sent


def test_dates_decimals_and_changes_round_trip(pooled: SandboxedScriptEngine, tmp_path: Path):
    data = {
        "monthly_income": "8000",
        "meeting_date": "2026-03-02",
        "members": [{"name": "张三", "present": True, "votes": 2}, {"name": "李四", "present": False, "votes": 1}],
        "tally": {"rounds": 0},
        "reminders": 0,
        "branch": "第一党支部",
    }
    workflow = load_workflow("dues_notice.bpmn", "dues_notice", pooled, data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    result = only_task(workflow, "prepare_notice").data
    assert result["notice"] == "第一党支部：1 人参会，党费 40.00 元，截止 2026-04-01"
    assert str(result["dues"]) == "40.000" and result["deadline"].isoformat() == "2026-04-01"
    assert result["members"][0]["notified"] is True


def test_gateway_conditions_and_decision_tables_go_through_the_pool(pooled: SandboxedScriptEngine, pool: CountingPool):
    gateway = load_workflow("approval_route.bpmn", "approval_route", pooled, {"amount": "1500"})
    gateway.do_engine_steps()
    assert gateway.data["approver"] == "党委"
    conditions = len(pool.requests)
    assert conditions > 0

    data = {"approval_rate": "0.3", "appraised_on": "2026-03-02"}
    table = load_workflow("appraisal.bpmn", "appraisal", pooled, data, dmn=("appraisal_grade.dmn",))
    table.do_engine_steps()
    assert (table.data["grade"], table.data["review_by"]) == ("基本合格", "2026-04-01")
    assert len(pool.requests) > conditions


def test_timer_and_multi_instance_expressions_go_through_the_pool(pooled: SandboxedScriptEngine, pool: CountingPool):
    timer = load_workflow("review_timer.bpmn", "review_timer", pooled, {"meeting_at": "2999-01-01T09:00:00+08:00", "review_days": 5})
    timer.do_engine_steps()
    assert only_task(timer, "review_due").internal_data["event_value"] == "2999-01-06T09:00:00+08:00"
    votes = load_workflow("collect_votes.bpmn", "collect_votes", pooled, {"members": ["张三", "李四", "王五", "赵六"]})
    votes.do_engine_steps()
    assert votes.data["votes"] == ["同意", "同意", "同意"]
    assert len(pool.requests) >= 2


def test_errors_come_back_as_the_same_kind_with_the_script_line(pooled: SandboxedScriptEngine, tmp_path: Path):
    error = refusal(script_workflow("x = 1\ny = x / 0", pooled, tmp_path))
    assert "脚本运行出错 (script failed): ZeroDivisionError: division by zero" in str(error)
    assert (error.error_type, error.line_number, error.error_line) == ("ZeroDivisionError", 2, "y = x / 0")

    error = refusal(script_workflow("total = amount + 1", pooled, tmp_path, amuont=1))
    assert "NameError" in str(error) and "Did you mean 'amuont'?" in str(error)

    error = refusal(script_workflow("n = 0\nwhile True:\n    n += 1", pooled, tmp_path))
    assert "脚本运行超时 (script exceeded its time limit of 1.0 s)" in str(error)
    assert error.line_number in (2, 3)


def test_sandbox_refusals_still_apply_inside_the_evaluator(pooled: SandboxedScriptEngine):
    with pytest.raises(ScriptRejected, match="脚本不允许导入模块"):
        pooled.environment.execute("import os", {})
    with pytest.raises(ScriptRejected, match="结果序列过长"):
        pooled.environment.execute("x = 'a' * 10 ** 10", {})


def test_functions_cannot_be_offered_through_a_pool(pool: CountingPool):
    with pytest.raises(ValueError, match="cannot be offered through an evaluator pool"):
        SandboxedScriptEngine(functions={"working_days_between": lambda start, end: 3}, pool=pool)


def test_a_reply_too_large_for_the_caller_is_refused_unread(pooled: SandboxedScriptEngine):
    context: dict[str, Any] = {}
    with pytest.raises(ScriptRejected, match=r"脚本结果过大 \(script result larger than 8 MiB\)"):
        pooled.environment.execute("blocks = ['x' * 10**6 for i in range(9)]", context)
    assert context == {}
    assert pooled.environment.evaluate("len('x' * 10**6)", {}) == 10**6
