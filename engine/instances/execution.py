"""Advancing a workflow as far as it can go, and noticing when SpiffWorkflow stops wrongly.

These failure modes are caught here and turned into incidents instead of silent damage:
- a runaway loop: too many engine steps in one command (the step budget);
- runaway nesting: subprocesses and call activities nested deeper than any real procedure (a
  definition stored before deploy refused call cycles would otherwise expand forever, each step
  costlier than the last);
- a slow command: engine steps running past the time budget, which would hold the database's write
  lock for everyone else;
- a silent stop: SpiffWorkflow walks its task tree with a depth limit of 1000, so a long gateway
  loop makes the open tasks invisible and the workflow reports itself complete without ever
  reaching an end event;
- too many instances: a multi-instance activity about to create more instances than any real
  appraisal or vote has (checked before the library creates them, all at once, each with a copy of
  the task data);
- too much data: a task whose data, or an instance whose whole state, would serialise to more than
  the database should hold for one case; the caller then keeps the state it had before.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException, WorkflowTaskException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.dmn.specs.model import HitPolicy
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.task import Task, TaskState
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import EngineError, TaskRefused

DEFAULT_STEP_BUDGET = 5000
MAX_NESTING_DEPTH = 30
DEFAULT_TIME_BUDGET_SECONDS = 10.0
# A multi-instance activity creates all its parallel instances at once, each with a copy of the
# task data: 4,000 took 38 s and 10^7 exhausted memory. No Party organisation has more members than
# this in one appraisal or one vote.
MAX_LOOP_CARDINALITY = 500
# Task data is form answers and bookkeeping: a few KB. One MiB leaves room for long texts while a
# script cannot fill the database (300-512 MB strings were written into task data before).
MAX_TASK_DATA_BYTES = 1024 * 1024
# The whole state keeps every task's own copy of the data; a multi-instance appraisal of a large
# branch stays well below this, and each command rewrites the state, so it is also a cost per step.
MAX_INSTANCE_STATE_BYTES = 8 * 1024 * 1024
DATA_LIMIT = "data_limit"


@dataclass(frozen=True)
class IncidentReport:
    code: str
    message: str
    element_id: str | None = None


class _BudgetExceeded(Exception):
    def __init__(self, report: IncidentReport):
        self.report = report


class RunLimitExceeded(WorkflowTaskException):
    """Raised from inside the library's own task updates, where only its exceptions are expected."""

    def __init__(self, report: IncidentReport, task: Task):
        super().__init__(report.message, task=task)
        self.report = report


def advance(
    workflow: BpmnWorkflow, step_budget: int = DEFAULT_STEP_BUDGET, time_budget: float = DEFAULT_TIME_BUDGET_SECONDS
) -> IncidentReport | None:
    """Run every engine task that is ready; return what went wrong, if anything."""
    steps = 0
    deadline = time.monotonic() + time_budget
    running: list[str] = []  # the element whose step is under way, for a failure outside the library's wrapping

    def note_step(task: Task) -> None:
        running[:] = [task.task_spec.name]
        if (unmatched := unmatched_decision(task)) is not None:
            raise _BudgetExceeded(unmatched)

    def count_step(task: Task) -> None:
        nonlocal steps
        steps += 1
        element_id = task.task_spec.name
        if steps > step_budget:
            raise _BudgetExceeded(_too_many_steps(step_budget, element_id))
        if task.workflow.depth > MAX_NESTING_DEPTH:
            raise _BudgetExceeded(_nested_too_deep(element_id))
        if time.monotonic() > deadline:
            raise _BudgetExceeded(_too_slow(time_budget, element_id))
        oversized = oversized_task_data(task)
        if oversized is not None:
            raise _BudgetExceeded(oversized)

    try:
        workflow.do_engine_steps(will_complete_task=note_step, did_complete_task=count_step)
    except (_BudgetExceeded, RunLimitExceeded) as exceeded:
        return exceeded.report
    except SpiffWorkflowException as error:
        return _report_library_error(error)
    except (EngineError, SQLAlchemyError):
        raise  # the command's own refusals and the database's conflicts keep their meaning
    except Exception as error:  # the library lets some expression and data errors out unwrapped
        return _report_unwrapped_error(error, running[0] if running else None)
    return detect_silent_stop(workflow)


def _report_unwrapped_error(error: Exception, element_id: str | None) -> IncidentReport:
    detail = f"{type(error).__name__}: {error}"
    return IncidentReport(
        "engine_error",
        f"流程执行出错，请检查该步骤之后的表达式和所需数据 (process error after this step; check its expressions and data): {detail}",
        element_id,
    )


def unmatched_decision(task: Task) -> IncidentReport | None:
    """A decision table with a single-hit policy that no rule matches leaves its outputs unset and
    the library goes on; the step that later reads them would fail far from the cause."""
    spec = task.task_spec
    if not isinstance(spec, BusinessRuleTaskMixin):
        return None
    table = spec.dmnEngine.decision_table
    if table.hit_policy == HitPolicy.COLLECT.value:
        return None
    try:
        matched = spec.dmnEngine.decide(task)
    except Exception:  # a failing rule is reported by the library itself, with its own wrapping, when the step runs
        return None
    if matched:
        return None
    name = table.name or table.id
    # The inputs are named, not their values: an incident is read by process owners, and the values
    # may be a member's personal data.
    inputs = "、".join((column.expression or column.label or column.id).strip() for column in table.inputs)
    return IncidentReport(
        "decision_no_match",
        f"决策表「{name}」没有规则与输入（{inputs}）匹配，输出未设置，流程已停止 "
        f"(no rule of the decision table {name!r} matches its inputs ({inputs}); the process stopped before using unset outputs)",
        spec.name,
    )


def _too_many_steps(step_budget: int, element_id: str) -> IncidentReport:
    return IncidentReport(
        "loop_limit",
        f"流程在一次推进中执行了超过 {step_budget} 个步骤，疑似死循环，已停止 "
        f"(more than {step_budget} steps in one go; probably an endless loop)",
        element_id,
    )


def _nested_too_deep(element_id: str) -> IncidentReport:
    return IncidentReport(
        "nesting_limit",
        f"子流程或调用活动嵌套超过 {MAX_NESTING_DEPTH} 层，疑似循环调用，已停止 "
        f"(subprocesses or call activities nested more than {MAX_NESTING_DEPTH} deep; probably a call cycle)",
        element_id,
    )


def _too_slow(time_budget: float, element_id: str) -> IncidentReport:
    return IncidentReport(
        "time_limit",
        f"流程一次推进超过 {time_budget:g} 秒，已停止，以免阻塞其他操作 "
        f"(engine steps ran longer than {time_budget:g} s in one go and were stopped so as not to hold up others)",
        element_id,
    )


def oversized_task_data(task: Task) -> IncidentReport | None:
    """Whether the task's data would serialise to more than MAX_TASK_DATA_BYTES (or cannot be)."""
    size = _serialised_size(task.data)
    if size is None:
        return IncidentReport(
            DATA_LIMIT,
            "任务数据嵌套过深，无法保存，已停止 (the task data is nested too deeply to be stored; the instance was stopped)",
            task.task_spec.name,
        )
    if size <= MAX_TASK_DATA_BYTES:
        return None
    return IncidentReport(
        DATA_LIMIT,
        f"任务数据超过 {MAX_TASK_DATA_BYTES // 1024} KB 上限，已停止，未保存 "
        f"(the task data would take {size} bytes, above the limit of {MAX_TASK_DATA_BYTES}; "
        "the instance was stopped and it was not stored)",
        task.task_spec.name,
    )


def oversized_state(state_json: str) -> IncidentReport | None:
    """Whether a serialised instance state is above MAX_INSTANCE_STATE_BYTES (its JSON is ASCII)."""
    if len(state_json) <= MAX_INSTANCE_STATE_BYTES:
        return None
    return IncidentReport(
        DATA_LIMIT,
        f"流程实例数据超过 {MAX_INSTANCE_STATE_BYTES // (1024 * 1024)} MB 上限，已停止，未保存 "
        f"(the instance state would take {len(state_json)} bytes, above the limit of {MAX_INSTANCE_STATE_BYTES}; "
        "the instance was stopped and it was not stored)",
    )


def _serialised_size(data: Mapping[str, Any]) -> int | None:
    # ASCII JSON, as the state is stored; Decimal and date values are counted by their text.
    try:
        return len(json.dumps(data, default=str))
    except (RecursionError, ValueError):
        return None


def limit_multi_instances(processes: list[BpmnProcessSpec]) -> None:
    """Have every multi-instance activity check how many instances it is about to create.

    The library creates them in the task's update hook, right after it emits `update_event`; the
    check listens there. Specs are shared between workflows, so the listener keeps no state.
    """
    for process in processes:
        for task_spec in process.task_specs.values():
            if isinstance(task_spec, MultiInstanceTask) and not task_spec.update_event.is_connected(_check_cardinality):
                task_spec.update_event.connect(_check_cardinality)


def _check_cardinality(workflow: BpmnWorkflow, task: Task) -> None:
    spec = task.task_spec
    if spec.data_input is not None:
        collection = spec.data_input.get(task)
        count = len(collection) if isinstance(collection, Sized) else 0
    else:
        count = workflow.script_engine.evaluate(task, spec.cardinality)
    if isinstance(count, int) and count > MAX_LOOP_CARDINALITY:
        report = IncidentReport(
            "cardinality_limit",
            f"多实例活动要创建 {count} 个实例，超过上限 {MAX_LOOP_CARDINALITY}，已停止 "
            f"(the multi-instance activity would create {count} instances, above the limit of {MAX_LOOP_CARDINALITY})",
            spec.name,
        )
        raise RunLimitExceeded(report, task)


def run_submitted_task(task: Task, title: str) -> IncidentReport | None:
    """Complete a person's task with their submission already in its data.

    What the definition refuses here depends on the submission (a declared output left out, a
    post-script reading a value that was not given), so it is the person's to fix: a refusal naming
    the step, not an incident; the caller discards the workflow, so nothing of the attempt is kept.
    A run-time limit crossed by what the completion sets off (too many instances of the next
    activity) is the definition's: it comes back as an incident report.
    """
    try:
        task.run()
    except RunLimitExceeded as exceeded:
        return exceeded.report
    except SpiffWorkflowException as error:
        raise TaskRefused(_refusal_message(error, title), task.task_spec.name) from None
    except (EngineError, SQLAlchemyError):
        raise
    except Exception as error:  # e.g. a message correlation reading a value the submission left out
        detail = f"{type(error).__name__}: {error}"
        message = f"「{title}」无法按所填内容完成：{detail} (the step {title!r} cannot be completed with this submission: {detail})"
        raise TaskRefused(message, task.task_spec.name) from None
    return None


def _refusal_message(error: SpiffWorkflowException, title: str) -> str:
    if isinstance(error, WorkflowDataException) and error.data_output is not None:
        name = error.data_output.bpmn_id
        return f"「{title}」需要填写 {name} (the step {title!r} needs a value for {name!r})"
    detail = getattr(error, "error", None) or str(error)
    return f"「{title}」无法按所填内容完成：{detail} (the step {title!r} cannot be completed with this submission: {detail})"


def detect_silent_stop(workflow: BpmnWorkflow) -> IncidentReport | None:
    """A workflow that says it is complete must have no unfinished task and a completed end event."""
    if not workflow.is_completed():
        return None
    hidden = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if hidden:
        return IncidentReport(
            "silent_stop",
            "流程路径过长，引擎无法继续推进（未到达结束事件）"
            "(the engine stopped before reaching an end event: the task path grew too long)",
            hidden[0].task_spec.name,
        )
    if not reached_end_event(workflow):
        return IncidentReport(
            "silent_stop",
            "流程在未到达结束事件的情况下停止 (the workflow stopped without reaching an end event)",
        )
    return None


def reached_end_event(workflow: BpmnWorkflow) -> bool:
    return final_end_event(workflow) is not None


def final_end_event(workflow: BpmnWorkflow) -> str | None:
    """The id of the top-level end event the workflow completed last, if any.

    A collaboration's top level only starts its pools, so its end is the end event its pools
    completed last, provided every pool reached one.
    """
    ends = _completed_end_events(workflow)
    if _is_collaboration(workflow):
        pools = [workflow.subprocesses[t.id] for t in workflow.tasks.values() if t.id in workflow.subprocesses]
        pool_ends = [_completed_end_events(pool) for pool in pools]
        if not pools or not all(pool_ends):
            return None
        ends = [end for each in pool_ends for end in each]
    if not ends:
        return None
    return max(ends, key=lambda t: t.last_state_change).task_spec.name


def _completed_end_events(workflow: BpmnWorkflow | BpmnSubWorkflow) -> list[Task]:
    return [t for t in workflow.tasks.values() if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)]


def _is_collaboration(workflow: BpmnWorkflow) -> bool:
    """SpiffWorkflow builds a collaboration as a top level with no end event that calls each pool."""
    return not any(isinstance(spec, EndEvent) for spec in workflow.spec.task_specs.values())


def _report_library_error(error: SpiffWorkflowException) -> IncidentReport:
    element_id = None
    task = getattr(error, "task", None)
    if task is not None:
        element_id = task.task_spec.name
    elif isinstance(error, WorkflowException) and getattr(error, "task_spec", None) is not None:
        element_id = error.task_spec.name
    message = getattr(error, "error", None) or str(error)
    code = "script_error" if task is not None else "engine_error"
    return IncidentReport(code, f"流程执行出错 (process error): {message}", element_id)
