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
  reaching an end event.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.task import Task, TaskState

from engine.errors import TaskRefused

DEFAULT_STEP_BUDGET = 5000
MAX_NESTING_DEPTH = 30
DEFAULT_TIME_BUDGET_SECONDS = 10.0
# A multi-instance activity creates all its parallel instances at once, each with a copy of the
# task data: 4,000 took 38 s and 10^7 exhausted memory. No Party organisation has more members than
# this in one appraisal or one vote.
MAX_LOOP_CARDINALITY = 500


@dataclass(frozen=True)
class IncidentReport:
    code: str
    message: str
    element_id: str | None = None


class _BudgetExceeded(Exception):
    def __init__(self, report: IncidentReport):
        self.report = report


def advance(
    workflow: BpmnWorkflow, step_budget: int = DEFAULT_STEP_BUDGET, time_budget: float = DEFAULT_TIME_BUDGET_SECONDS
) -> IncidentReport | None:
    """Run every engine task that is ready; return what went wrong, if anything."""
    steps = 0
    deadline = time.monotonic() + time_budget

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

    try:
        workflow.do_engine_steps(did_complete_task=count_step)
    except _BudgetExceeded as exceeded:
        return exceeded.report
    except SpiffWorkflowException as error:
        return _report_library_error(error)
    return detect_silent_stop(workflow)


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


def run_submitted_task(task: Task, title: str) -> None:
    """Complete a person's task with their submission already in its data.

    What the definition refuses here depends on the submission (a declared output left out, a
    post-script reading a value that was not given), so it is the person's to fix: a refusal naming
    the step, not an incident; the caller discards the workflow, so nothing of the attempt is kept.
    """
    try:
        task.run()
    except SpiffWorkflowException as error:
        raise TaskRefused(_refusal_message(error, title), task.task_spec.name) from None


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
    """The id of the top-level end event the workflow completed last, if any."""
    ends = [t for t in workflow.tasks.values() if isinstance(t.task_spec, EndEvent) and t.has_state(TaskState.COMPLETED)]
    if not ends:
        return None
    return max(ends, key=lambda t: t.last_state_change).task_spec.name


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
