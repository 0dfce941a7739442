"""Every piece of Python a parsed process hands to the script engine when it runs, found in its specs
and pointed at the element that holds it: script tasks, pre- and post-scripts, gateway conditions,
loop and multi-instance expressions, timer, conditional and message expressions, service-task
parameters, and the cells of the decision tables its business rule tasks call.

A DMN input cell is checked as SpiffWorkflow's DMNEngine will evaluate it: `?` stands for the input
value; otherwise the cell is compared with the input expression (`(input) == (cell)`) or, when it
starts with an operator (`>= 5`), appended to it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.specs.base import TaskSpec

Mode = Literal["exec", "eval"]

# DMNEngine's own test for `?` outside quotes: the same pattern, so the check sees what will run.
_DMN_INPUT_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')
_DMN_INPUT_NAME = "dmninputexpr"


@dataclass(frozen=True)
class Expression:
    """One expression or script as written, and the element that holds it."""

    kind: str  # what it is, for the person who wrote it: "脚本任务 (script task)"
    text: str
    mode: Mode
    element_id: str | None
    dmn: bool = False  # held by a DMN file rather than the process's BPMN file
    flow_to: str | None = None  # a gateway's condition: the task its sequence flow leads to
    dmn_input_cell: bool = False

    @property
    def evaluated(self) -> str:
        """What the script engine is given (worked out only when asked: DMNEngine's `?` pattern
        takes time quadratic in the cell's length, so a cell is measured before this is called)."""
        return _input_cell_as_run(self.text) if self.dmn_input_cell else self.text


def process_expressions(process: BpmnProcessSpec) -> Iterator[Expression]:
    for task_spec in process.task_specs.values():
        yield from task_expressions(task_spec)


def task_expressions(task_spec: TaskSpec) -> Iterator[Expression]:
    element_id = task_spec.name
    for attribute, kind, mode in _TASK_SOURCES:
        text = getattr(task_spec, attribute, None)
        if isinstance(text, str):
            yield Expression(kind, text, mode, element_id)
    for condition, target in getattr(task_spec, "cond_task_specs", None) or []:
        text = _condition_text(condition)
        if text is not None:
            yield Expression("连线条件 (sequence flow condition)", text, "eval", element_id, flow_to=target)
    for name, parameter in (getattr(task_spec, "operation_params", None) or {}).items():
        value = parameter.get("value") if isinstance(parameter, dict) else None
        if isinstance(value, str):
            yield Expression(f"服务任务参数 {name} (service task parameter)", value, "eval", element_id)
    yield from _event_expressions(element_id, getattr(task_spec, "event_definition", None))
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is not None:
        yield from _decision_table_expressions(engine.decision_table)


_TASK_SOURCES: tuple[tuple[str, str, Mode], ...] = (
    ("script", "脚本任务 (script task)", "exec"),
    ("prescript", "前置脚本 (pre-script)", "exec"),
    ("postscript", "后置脚本 (post-script)", "exec"),
    ("cardinality", "多实例数量 (loop cardinality)", "eval"),
    ("condition", "循环或完成条件 (loop or completion condition)", "eval"),
)


def _condition_text(condition: Any) -> str | None:
    if isinstance(condition, str):
        return condition
    args = getattr(condition, "args", None)  # the library wraps a flow's condition in an Operator
    return args[0] if args and isinstance(args[0], str) else None


def _event_expressions(element_id: str, definition: Any) -> Iterator[Expression]:
    if definition is None:
        return
    for inner in getattr(definition, "event_definitions", None) or []:
        yield from _event_expressions(element_id, inner)
    expression = getattr(definition, "expression", None)
    if isinstance(expression, str):
        yield Expression(f"{_event_kind(definition)}表达式 ({type(definition).__name__} expression)", expression, "eval", element_id)
    for correlation in getattr(definition, "correlation_properties", None) or []:
        retrieval = getattr(correlation, "retrieval_expression", None)
        if isinstance(retrieval, str):
            yield Expression("消息关联表达式 (correlation expression)", retrieval, "eval", element_id)


def _event_kind(definition: Any) -> str:
    if isinstance(definition, TimerEventDefinition):
        return "定时器"
    if isinstance(definition, ConditionalEventDefinition):
        return "条件事件"
    return "事件"


def _decision_table_expressions(table: Any) -> Iterator[Expression]:
    for column in table.inputs:
        if isinstance(column.expression, str):
            yield Expression("决策表输入表达式 (DMN input expression)", column.expression, "eval", column.id, dmn=True)
    for rule in table.rules:
        for entry in rule.inputEntries:
            for cell in entry.lhs:
                if isinstance(cell, str):
                    yield Expression("决策表输入条件 (DMN input entry)", cell, "eval", entry.id, dmn=True, dmn_input_cell=True)
        for entry in rule.outputEntries:
            if isinstance(entry.text, str) and entry.text:
                yield Expression("决策表输出 (DMN output entry)", entry.text, "eval", entry.id, dmn=True)


def _input_cell_as_run(cell: str) -> str:
    """What DMNEngine evaluates for an input cell (its `evaluate`), with `None` standing for the
    column's input expression, which is checked on its own."""
    marked = _DMN_INPUT_MARK.sub(_DMN_INPUT_NAME, cell)
    if _DMN_INPUT_NAME in marked:
        return marked
    try:
        ast.parse(cell)
    except SyntaxError:
        return f"None{cell}"  # a cell such as `>= 5`, completed by the input expression
    return f"(None) == ({cell})"
