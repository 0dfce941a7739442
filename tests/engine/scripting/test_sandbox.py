"""The sandboxed script engine: what SpiffWorkflow's default engine lets a BPMN author do, what ours
refuses, and that ordinary scripts, conditions, decision tables, timers and multi-instance
expressions still work through it."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import ScriptRejected
from engine.scripting import DEFAULT_TIME_LIMIT_S, SandboxedScriptEngine, check_script
from engine.scripting.compile_policy import compile_script

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sandbox"
HOSTNAME = Path("/etc/hostname")

IMPORT_OS = "import os\npid = os.getpid()"
READ_FILE = f"hostname = open('{HOSTNAME}').read()"
WALK_SUBCLASSES = "classes = ().__class__.__base__.__subclasses__()"
INJECTED = {"Decimal", "date", "datetime", "timedelta", "timezone", "__builtins__", "_getattr_", "_tick_"}


def load_workflow(
    bpmn: str | Path,
    process_id: str,
    engine: PythonScriptEngine,
    data: Mapping[str, Any] | None = None,
    dmn: tuple[str, ...] = (),
) -> BpmnWorkflow:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(FIXTURES / bpmn))
    for decision_file in dmn:
        parser.add_dmn_file(str(FIXTURES / decision_file))
    workflow = BpmnWorkflow(parser.get_spec(process_id), parser.get_subprocess_specs(process_id), script_engine=engine)
    workflow.get_tasks(spec_name="Start")[0].data.update(data or {})
    return workflow


def script_workflow(script: str, engine: PythonScriptEngine, tmp_path: Path, **data: Any) -> BpmnWorkflow:
    template = (FIXTURES / "script_task.bpmn").read_text(encoding="utf-8")
    bpmn = tmp_path / "script_task.bpmn"
    bpmn.write_text(template.replace("SCRIPT_UNDER_TEST", escape(script)), encoding="utf-8")
    return load_workflow(bpmn, "sandbox_script", engine, data)


def only_task(workflow: BpmnWorkflow, spec_name: str) -> Task:
    (task,) = workflow.get_tasks(spec_name=spec_name)
    return task


def refusal(workflow: BpmnWorkflow) -> WorkflowTaskException:
    with pytest.raises(WorkflowTaskException) as raised:
        workflow.do_engine_steps()
    return raised.value


# -- the default engine is dangerous; ours is not ------------------------------------------------


def test_default_engine_imports_modules(tmp_path: Path) -> None:
    workflow = script_workflow(IMPORT_OS, PythonScriptEngine(), tmp_path)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert only_task(workflow, "run_script").data["pid"] == os.getpid()


# The script leaves its file for the garbage collector, which warns; that carelessness is allowed too.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_default_engine_reads_files(tmp_path: Path) -> None:
    workflow = script_workflow(READ_FILE, PythonScriptEngine(), tmp_path)
    workflow.do_engine_steps()
    assert only_task(workflow, "run_script").data["hostname"] == HOSTNAME.read_text()


def test_default_engine_walks_to_every_class_in_the_process(tmp_path: Path) -> None:
    workflow = script_workflow(WALK_SUBCLASSES, PythonScriptEngine(), tmp_path)
    workflow.do_engine_steps()
    assert type in only_task(workflow, "run_script").data["classes"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (IMPORT_OS, "脚本不允许导入模块 (import is not allowed in scripts): os"),
        (READ_FILE, "脚本不允许调用 open() (open() is not allowed in scripts)"),
        (WALK_SUBCLASSES, "脚本不允许访问以下划线开头的属性 (attributes starting with '_' are not allowed in scripts): __class__"),
    ],
    ids=["import", "open", "subclasses"],
)
def test_sandbox_refuses_what_the_default_engine_allows(script: str, message: str, tmp_path: Path) -> None:
    workflow = script_workflow(script, SandboxedScriptEngine(), tmp_path, branch="第一党支部")
    error = refusal(workflow)
    assert message in str(error)
    assert error.error_type == "ScriptRejected"
    task = only_task(workflow, "run_script")
    assert task.state == TaskState.ERROR
    assert task.data == {"branch": "第一党支部"}


def test_endless_loop_stops_within_twice_the_limit(tmp_path: Path) -> None:
    workflow = script_workflow("while True: pass", SandboxedScriptEngine(), tmp_path, count=0)
    started = time.monotonic()
    error = refusal(workflow)
    elapsed = time.monotonic() - started
    assert DEFAULT_TIME_LIMIT_S <= elapsed < 2 * DEFAULT_TIME_LIMIT_S
    assert "脚本运行超时 (script exceeded its time limit of 1.0 s)" in str(error)
    assert error.line_number == 1
    task = only_task(workflow, "run_script")
    assert task.state == TaskState.ERROR
    assert task.data == {"count": 0}


def test_endless_loop_stops_in_a_worker_thread(tmp_path: Path) -> None:
    workflow = script_workflow("n = 0\nwhile n >= 0:\n    n += 1", SandboxedScriptEngine(time_limit_s=0.2), tmp_path)
    errors: list[BaseException] = []

    def serve_request() -> None:
        try:
            workflow.do_engine_steps()
        except WorkflowTaskException as error:
            errors.append(error)

    worker = threading.Thread(target=serve_request)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert "0.2 s" in str(errors[0])


@pytest.mark.parametrize(
    "script",
    [
        "try:\n    while True: pass\nexcept Exception:\n    escaped = True",
        "try:\n    while True: pass\nexcept:\n    escaped = True",
        "try:\n    while True: pass\nfinally:\n    while True: pass",
        "def spin():\n    try:\n        return spin()\n    finally:\n        return spin()\nspin()",
        "grow = lambda n: grow(n - 1) + grow(n - 1) if n else 1\nescaped = grow(64)",
        "escaped = sum(1 for a in range(10**6) for b in range(10**6))",
    ],
    ids=["except-exception", "bare-except", "finally", "recursion-in-finally", "lambda-recursion", "generator"],
)
def test_a_timeout_cannot_be_caught_or_outrun(script: str) -> None:
    environment = SandboxedScriptEngine(time_limit_s=0.2).environment
    context: dict[str, Any] = {}
    started = time.monotonic()
    with pytest.raises(ScriptRejected, match="脚本运行超时"):
        environment.execute(script, context)
    assert time.monotonic() - started < 1.0
    assert "escaped" not in context


# -- ordinary work still runs --------------------------------------------------------------------


def test_legitimate_script_results_land_in_task_data() -> None:
    members = [{"name": "张三", "present": True, "votes": 2}, {"name": "李四", "present": False, "votes": 1}]
    data = {
        "monthly_income": "8000",
        "meeting_date": "2026-03-02",
        "members": members,
        "tally": {"rounds": 0},
        "reminders": 0,
        "branch": "第一党支部",
    }
    workflow = load_workflow("dues_notice.bpmn", "dues_notice", SandboxedScriptEngine(), data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    result = only_task(workflow, "prepare_notice").data
    assert result["dues"] == Decimal("40.000")
    assert result["deadline"] == date(2026, 4, 1)
    assert result["present"] == ["张三"]
    assert result["tally"] == {"rounds": 1, "present": 1, "votes": 3}
    assert result["members"][0]["notified"] is True
    assert result["reminders"] == 1
    assert result["notice"] == "第一党支部：1 人参会，党费 40.00 元，截止 2026-04-01"
    assert not INJECTED & result.keys()


@pytest.mark.parametrize(("amount", "approver"), [("1500", "党委"), ("1000", "党委"), ("200", "支部")])
def test_gateway_condition_evaluates_in_the_sandbox(amount: str, approver: str) -> None:
    workflow = load_workflow("approval_route.bpmn", "approval_route", SandboxedScriptEngine(), {"amount": amount})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["approver"] == approver


def test_gateway_condition_uses_sandbox_helpers_the_default_engine_lacks() -> None:
    workflow = load_workflow("approval_route.bpmn", "approval_route", PythonScriptEngine(), {"amount": "1500"})
    with pytest.raises(WorkflowTaskException, match="Decimal"):
        workflow.do_engine_steps()


def test_expressions_are_refused_like_scripts() -> None:
    engine = SandboxedScriptEngine()
    workflow = load_workflow("approval_route.bpmn", "approval_route", engine, {"amount": "1500"})
    task = only_task(workflow, "Start")
    with pytest.raises(WorkflowTaskException) as raised:
        engine.evaluate(task, "().__class__.__base__")
    assert "脚本不允许访问以下划线开头的属性" in str(raised.value)
    assert "表达式 (expression): ().__class__.__base__" in str(raised.value)


@pytest.mark.parametrize(
    ("rate", "grade", "review_by"),
    [("0.95", "优秀", ""), ("0.6", "合格", ""), ("0.3", "基本合格", "2026-04-01")],
)
def test_decision_table_evaluates_in_the_sandbox(rate: str, grade: str, review_by: str) -> None:
    data = {"approval_rate": rate, "appraised_on": "2026-03-02"}
    workflow = load_workflow("appraisal.bpmn", "appraisal", SandboxedScriptEngine(), data, dmn=("appraisal_grade.dmn",))
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert (workflow.data["grade"], workflow.data["review_by"]) == (grade, review_by)


def test_decision_table_cell_is_refused_like_a_script() -> None:
    data = {"approval_rate": "0.3", "appraised_on": "2026-03-02"}
    workflow = load_workflow("appraisal.bpmn", "appraisal", SandboxedScriptEngine(), data, dmn=("forbidden_cell.dmn",))
    error = refusal(workflow)
    assert "脚本不允许调用 open() (open() is not allowed in scripts)" in str(error)
    assert only_task(workflow, "grade_member").state == TaskState.ERROR


def test_timer_expression_evaluates_in_the_sandbox() -> None:
    due = {"meeting_at": "2999-01-01T09:00:00+08:00", "review_days": 5}
    waiting = load_workflow("review_timer.bpmn", "review_timer", SandboxedScriptEngine(), due)
    waiting.do_engine_steps()
    assert not waiting.is_completed()
    assert only_task(waiting, "review_due").internal_data["event_value"] == "2999-01-06T09:00:00+08:00"

    past = {"meeting_at": "2020-01-01T09:00:00+08:00", "review_days": 5}
    elapsed = load_workflow("review_timer.bpmn", "review_timer", SandboxedScriptEngine(), past)
    elapsed.do_engine_steps()
    assert elapsed.is_completed()


def test_multi_instance_cardinality_evaluates_in_the_sandbox() -> None:
    data = {"members": ["张三", "李四", "王五", "赵六"]}
    workflow = load_workflow("collect_votes.bpmn", "collect_votes", SandboxedScriptEngine(), data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["votes"] == ["同意", "同意", "同意"]


# -- the guards one by one -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("x = 10 ** 10 ** 10", "整数运算结果过大"),
        ("x = 1 << 10 ** 9", "整数运算结果过大"),
        ("x = 'a' * 10 ** 10", "结果序列过长"),
        ("x = [0] * 10 ** 10", "结果序列过长"),
        ("s = 'a'\nwhile True:\n    s += s", "结果序列过长"),
        ("s = ['a']\nwhile True:\n    s = s + s", "结果序列过长"),
        ("x = 'a'.ljust(10 ** 10)", "结果序列过长"),
        ("x = ('a' * 1000).replace('a', 'b' * 10000)", "结果序列过长"),
        ("x = '-'.join(['a' * 1000000] * 3)", "结果序列过长"),
        ("x = ('a' * 1000).translate({97: 'b' * 10000})", "结果序列过长"),
        ("s = 'ab'\nwhile True:\n    s = f'{s}{s}'", "结果序列过长"),
        ("s = 'ab'\nwhile True:\n    s = '%s%s' % (s, s)", "结果序列过长"),
        ("x = int('1' * 1000000, 2)", "整数文本过长"),
        ("x = int.from_bytes(b'1' * 1000000, 'big')", "脚本不允许访问该属性"),
        ("x = str.ljust('a', 10 ** 10)", "请在值上调用该方法"),
        ("x = range(10 ** 12)", "结果序列过长"),
        ("x = sum([[1]] * 10, [])", "sum() 只能对数值求和"),
        ("x = round(1, -10 ** 8)", "round() 的位数过大"),
        ("x = int(Decimal('1e999999'))", "Decimal 数值超出可转换范围"),
        ("x = round(Decimal('1e999999'))", "Decimal 数值超出可转换范围"),
        ("x = f\"{Decimal('1e999999999'):f}\"", "Decimal 数值超出可转换范围"),
        ('x = f"{1:>1000000000}"', "格式宽度或精度过大"),
        ("x = '%1000000000d' % 1", "格式宽度或精度过大"),
        ("x = datetime(2026, 3, 2).strftime('%1000000000Y')", "格式宽度或精度过大"),
        ("x = (1, 2)\nx[0] = 3", "脚本只能修改字典和列表"),
        ("x = ValueError.mro()", "脚本不允许访问该属性"),
        ("try:\n    x = 10 ** 10 ** 10\nexcept Exception:\n    x = 0", "整数运算结果过大"),
    ],
)
def test_cheap_denial_of_service_forms_are_refused_at_once(script: str, message: str) -> None:
    environment = SandboxedScriptEngine().environment
    started = time.monotonic()
    with pytest.raises(ScriptRejected, match=re.escape(message)):
        environment.execute(script, {})
    assert time.monotonic() - started < 0.5


def test_ordinary_builtins_and_helpers_work() -> None:
    script = """\
values = sorted({3, 1, 2}, reverse=True)
pairs = dict(zip(["a", "b"], range(2)))
firsts = [i for i, _ in enumerate("ab")]
checks = [any([0, 1]), all([1, 1]), abs(-2), round(2.567, 2), min(values), max(values), len(values)]
kinds = isinstance(1, int) and isinstance(True, int) and not isinstance("1", (int, float))
numbers = [int("42"), float("1.5"), str(7), bool(0), list((1,)), tuple([1]), set([1, 1])]
today = date.today().year >= 2000
parsed = datetime.strptime("2026-03-02", "%Y-%m-%d").date().isoformat()
first, *rest = values
try:
    1 / 0
except ZeroDivisionError:
    caught = True
"""
    context: dict[str, Any] = {}
    SandboxedScriptEngine().environment.execute(script, context)
    assert context["values"] == [3, 2, 1]
    assert context["pairs"] == {"a": 0, "b": 1}
    assert context["firsts"] == [0, 1]
    assert context["checks"] == [True, True, 2, 2.57, 1, 3, 3]
    assert context["kinds"] is True
    assert context["numbers"] == [42, 1.5, "7", False, [1], (1,), {1}]
    assert context["today"] is True and context["parsed"] == "2026-03-02"
    assert (context["rest"], context["caught"]) == ([2, 1], True)


def test_runtime_errors_name_the_script_line(tmp_path: Path) -> None:
    workflow = script_workflow("x = 1\ny = x / 0", SandboxedScriptEngine(), tmp_path)
    error = refusal(workflow)
    assert "脚本运行出错 (script failed): ZeroDivisionError: division by zero" in str(error)
    assert (error.line_number, error.error_line) == (2, "y = x / 0")


# -- context semantics, as TaskDataEnvironment's ---------------------------------------------------


def test_variables_are_read_written_and_deleted_in_task_data() -> None:
    context: dict[str, Any] = {"count": 1, "obsolete": True, "_private": "kept"}
    script = "count += 1\ndel obsolete\nadded = count * 10\nhelper = lambda: 1"
    SandboxedScriptEngine().environment.execute(script, context)
    assert context == {"count": 2, "_private": "kept", "added": 20}


def test_task_data_may_shadow_a_helper() -> None:
    context: dict[str, Any] = {"date": "2026-03-02"}
    environment = SandboxedScriptEngine().environment
    environment.execute("day = date[-2:]", context)
    assert context == {"date": "2026-03-02", "day": "02"}
    assert environment.evaluate("date", context) == "2026-03-02"


def test_offered_functions_are_callable_but_never_written_back() -> None:
    engine = SandboxedScriptEngine(functions={"working_days_between": lambda start, end: 3})
    context: dict[str, Any] = {}
    engine.environment.execute("days = working_days_between('2026-03-02', '2026-03-05')", context)
    assert context == {"days": 3}
    with pytest.raises(ScriptRejected, match="working_days_between"):
        engine.environment.execute("days = 1", {"working_days_between": 0})


def test_offered_functions_may_not_take_reserved_names() -> None:
    with pytest.raises(ValueError, match="cannot offer 'open' to scripts"):
        SandboxedScriptEngine(functions={"open": open})


def test_evaluate_returns_the_value_and_sees_external_context() -> None:
    environment = SandboxedScriptEngine().environment
    value = environment.evaluate("\n  amount * rate  \n", {"amount": Decimal(200)}, {"rate": Decimal("0.5")})
    assert value == Decimal("100.0")


# -- check_script, used at deploy time -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "mode", "message"),
    [
        ("x = ", "exec", "脚本语法错误 (syntax error): invalid syntax"),
        ("x = 1\nif x\n    y = 2", "exec", "第 2 行 (line 2): 脚本语法错误 (syntax error)"),
        ("amount >", "eval", "脚本语法错误 (syntax error)"),
        ("from os import path", "exec", "脚本不允许导入模块 (import is not allowed in scripts): os"),
        ("eval('1')", "eval", "脚本不允许调用 eval()"),
        ("x = getattr(1, 'real')", "exec", "脚本不允许调用 getattr()"),
        ("x = vars()", "exec", "脚本不允许调用 vars()"),
        ("x = __import__('os')", "exec", "脚本不允许使用以下划线开头的名称"),
        ("class Rule: pass", "exec", "脚本不允许定义类"),
        ("x = '{0.__class__}'.format(1)", "exec", "脚本不允许使用 str.format"),
        ("x = (i for i in []).gi_frame", "exec", "脚本不允许访问该属性 (attribute not allowed in scripts): gi_frame"),
        ("def f():\n    nonlocal x", "exec", "脚本包含不允许的写法 (construct not allowed in scripts)"),
    ],
)
def test_check_script_reports_problems(source: str, mode: str, message: str) -> None:
    problem = check_script(source, mode)  # type: ignore[arg-type]
    assert problem is not None and message in problem


@pytest.mark.parametrize(
    ("source", "mode"),
    [
        ("approved == True and type == '党务公开'", "eval"),
        ("\n   amount >= Decimal('1000')\n", "eval"),
        ("totals['votes'] += 1\nfor name, vote in votes.items():\n    tally[vote] = tally.get(vote, 0) + 1", "exec"),
        ("def share(n):\n    return n / 2\nhalf = share(4)", "exec"),
    ],
)
def test_check_script_accepts_ordinary_scripts(source: str, mode: str) -> None:
    assert check_script(source, mode) is None  # type: ignore[arg-type]


def test_compiled_code_is_cached() -> None:
    source = "cached = 41 + 1"
    compile_script(source, "exec")
    hits = compile_script.cache_info().hits
    for _ in range(3):
        SandboxedScriptEngine().environment.execute(source, {})
    assert compile_script.cache_info().hits == hits + 3
