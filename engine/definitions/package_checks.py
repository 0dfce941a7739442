"""What a process package must satisfy beyond valid BPMN, checked before it is stored:

- user tasks name a known role (by lane or property) and sensible properties;
- every `form_key` (of a user task, or a start event's start form) has a form, in the package or
  in the form library;
- every service task calls an operation a process package provides, every guard exists;
- every expression the process will evaluate (scripts, conditions, timer, loop and message
  expressions, service-task parameters, decision table cells) is short enough and compiles under
  the sandbox's policy, and a literal multi-instance cardinality stays within the run-time limit.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.specs.base import TaskSpec

from engine.bpmn.expressions import Expression, task_expressions
from engine.bpmn.loading import LoadedProcess
from engine.bpmn.problems import ElementLocator
from engine.calendar import DueRuleInvalid
from engine.errors import DeployProblem
from engine.instances.execution import MAX_LOOP_CARDINALITY
from engine.instances.inbox_projection import lane_role
from engine.instances.start_limits import PERIODS
from engine.models import ROLE_TITLES_ZH
from engine.procedures.due_rule_text import check_due_rule_text
from engine.procedures.extensions import ProcessExtensions
from engine.procedures.step_guards import guard_names
from engine.scripting.sandbox import check_script
from forms import FormDefinition

CANDIDATE_ORGANIZATION_SCOPES = frozenset({"instance", "parent", "party_committee"})
# No real condition, timer or decision cell comes near this; SpiffWorkflow's DMN engine rewrites a
# cell with a regex whose time grows with the square of its length (20,000 `?` took 6.7 s).
MAX_EXPRESSION_CHARS = 2000
# A script task is a few lines of bookkeeping; a long one is compiled (and cached) as a whole.
MAX_SCRIPT_CHARS = 20_000


def package_problems(loaded: LoadedProcess, forms: Mapping[str, FormDefinition], extensions: ProcessExtensions) -> list[DeployProblem]:
    problems: list[DeployProblem] = []
    for process in (loaded.spec, *loaded.subprocess_specs.values()):
        file = getattr(process, "file", None)
        for task_spec in process.task_specs.values():
            problems.extend(_task_problems(file, task_spec, forms, extensions))
            problems.extend(_expression_problems(file, task_spec, loaded.locator))
    return list(dict.fromkeys(problems))  # a decision table called from two tasks is reported once


def form_keys(loaded: LoadedProcess) -> set[str]:
    keys = set()
    for process in (loaded.spec, *loaded.subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            key = _properties(task_spec).get("form_key")
            if key:
                keys.add(key)
    return keys


def _task_problems(
    file: str | None, task_spec: TaskSpec, forms: Mapping[str, FormDefinition], extensions: ProcessExtensions
) -> Iterator[DeployProblem]:
    if getattr(task_spec, "manual", False):
        yield from _user_task_problems(file, task_spec, forms, extensions)
    start_form = _properties(task_spec).get("form_key") if isinstance(task_spec, StartEvent) else None
    if start_form is not None and start_form not in forms:
        yield DeployProblem("missing_form", f"找不到发起表单 (no start form named {start_form!r})", file, task_spec.name)
    operation = getattr(task_spec, "operation_name", None)
    if operation is not None and operation not in extensions.service_calls:
        yield DeployProblem(
            "unknown_service",
            f"引擎没有名为 {operation} 的服务 (no service task operation named {operation!r})",
            file,
            task_spec.name,
        )
    period = _properties(task_spec).get("once_per")
    if period is not None and period not in PERIODS:
        yield DeployProblem(
            "bad_property",
            f"once_per 只能是 {sorted(PERIODS)} (once_per must be one of {sorted(PERIODS)}, got {period!r})",
            file,
            task_spec.name,
        )


_KNOWN_ROLES = "可用角色：" + "、".join(f"{title}（{role.value}）" for role, title in ROLE_TITLES_ZH.items())


def _user_task_problems(
    file: str | None, task_spec: TaskSpec, forms: Mapping[str, FormDefinition], extensions: ProcessExtensions
) -> Iterator[DeployProblem]:
    element_id, properties, lane = task_spec.name, _properties(task_spec), task_spec.lane
    role = properties.get("candidate_role")
    if role is not None and lane_role(role) is None:
        yield DeployProblem("unknown_role", f"未知角色：{role}；{_KNOWN_ROLES} (unknown role {role!r})", file, element_id)
    if role is None and lane is not None and lane_role(lane) is None:
        yield DeployProblem(
            "unknown_role",
            f"泳道名称不是已知角色：{lane}；请在泳道上用 candidate_role 属性指明它代表的角色。{_KNOWN_ROLES} "
            f"(lane {lane!r} is not a known role: give the lane a candidate_role property naming one)",
            file,
            element_id,
        )
    scope = properties.get("candidate_organization")
    if scope is not None and scope not in CANDIDATE_ORGANIZATION_SCOPES:
        yield DeployProblem(
            "bad_property",
            f"candidate_organization 只能是 {sorted(CANDIDATE_ORGANIZATION_SCOPES)} (got {scope!r})",
            file,
            element_id,
        )
    priority = properties.get("priority")
    if priority is not None and not priority.strip().lstrip("-").isdigit():
        yield DeployProblem("bad_property", f"priority 必须是整数 (priority must be an integer): {priority!r}", file, element_id)
    due_rule = properties.get("due_rule")
    if due_rule is not None:
        try:
            check_due_rule_text(due_rule, extensions.rule_sets)
        except DueRuleInvalid as invalid:
            yield DeployProblem("bad_due_rule", str(invalid), file, element_id)
    yield from _step_problems(file, element_id, properties, extensions)
    form_key = properties.get("form_key")
    if form_key is not None and form_key not in forms:
        yield DeployProblem("missing_form", f"找不到表单 (no form named {form_key!r})", file, element_id)


def _step_problems(file: str | None, element_id: str, properties: dict[str, str], extensions: ProcessExtensions) -> Iterator[DeployProblem]:
    """The procedural properties of engine/procedures/step_guards.py: a numbered step, an earliest date, named guards."""
    step = properties.get("step")
    if step is not None and not step.isdigit():
        yield DeployProblem("bad_property", f"step 必须是步骤序号 (step must be a step number): {step!r}", file, element_id)
    earliest = properties.get("earliest")
    if earliest is not None and not earliest.strip().isidentifier():
        try:
            check_due_rule_text(earliest, extensions.rule_sets)
        except DueRuleInvalid as invalid:
            yield DeployProblem("bad_property", f"earliest: {invalid}", file, element_id)
    for name in guard_names(properties):
        renamed = extensions.former_guard_names.get(name)
        if renamed is not None:
            yield DeployProblem(
                "unknown_guard",
                f"办理检查 {name} 已更名为 {renamed} (the step guard {name!r} is now called {renamed!r})",
                file,
                element_id,
            )
        elif name not in extensions.step_guards:
            yield DeployProblem("unknown_guard", f"没有名为 {name} 的办理检查 (no step guard named {name!r})", file, element_id)


def _expression_problems(file: str | None, task_spec: TaskSpec, locator: ElementLocator) -> Iterator[DeployProblem]:
    for expression in task_expressions(task_spec):
        refusal = _expression_refusal(expression)
        if refusal is None:
            continue
        code, message = refusal
        element_id = expression.element_id
        if expression.flow_to is not None and element_id is not None:
            element_id = locator.flow_between(element_id, expression.flow_to, file) or element_id
        where = locator.file_of(element_id) if expression.dmn else file
        yield DeployProblem(code, f"{expression.kind}：{message}", where, element_id, locator.line_of(element_id, where))
    cardinality = getattr(task_spec, "cardinality", None)
    literal = _literal_int(cardinality) if isinstance(cardinality, str) else None
    if literal is not None and literal > MAX_LOOP_CARDINALITY:
        yield DeployProblem(
            "cardinality_too_large",
            f"多实例数量 {literal} 超过上限 {MAX_LOOP_CARDINALITY} "
            f"(loop cardinality {literal} is above the limit of {MAX_LOOP_CARDINALITY})",
            file,
            task_spec.name,
            locator.line_of(task_spec.name, file),
        )


def _expression_refusal(expression: Expression) -> tuple[str, str] | None:
    limit = MAX_SCRIPT_CHARS if expression.mode == "exec" else MAX_EXPRESSION_CHARS
    length = len(expression.text)
    if length > limit:
        return "expression_too_long", f"长度 {length} 超过上限 {limit} 个字符 (it is {length} characters long, the limit is {limit})"
    if not expression.text.strip():
        return None if expression.mode == "exec" else ("script_rejected", "表达式为空 (the expression is empty)")
    message = check_script(expression.evaluated, expression.mode)
    return None if message is None else ("script_rejected", message)


def _literal_int(text: str) -> int | None:
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, int) else None


def _properties(task_spec: TaskSpec) -> dict[str, str]:
    extensions = getattr(task_spec, "extensions", None) or {}
    return extensions.get("properties", {}) or {}
