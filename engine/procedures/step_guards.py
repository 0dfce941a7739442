"""What a procedural step must satisfy before it may be recorded, and the record it leaves.

A user task opts in through its BPMN properties:

    step="7" stage="candidate"   a numbered step of a procedure: its `step_date` may not lie in the
                                 future nor before the previous step's date, and completing it
                                 writes a dated StepRecord (with the documents it produced)
    documents="支委会会议记录"      what the step produces, separated by 、
    date_as="candidate_date"     keep the step date in the instance data under this name
    earliest="rule:activist_minimum from activist_date"
                                 the step cannot happen before that date: a rule of the instance's
                                 regulation version counted from a date in the data, or just the
                                 name of a date in the data
    guards="development.sponsors,party.branch_vote"
                                 named checks the process packages bring in their extensions

A guard refuses with `SubmissionRejected` naming the field at fault, in words a 组织员 understands;
the command then writes nothing. A guard may also return values for the instance data (a vote's
result, a flag).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import jsonable
from engine.calendar import CalendarUnknown, DueDataInvalid, WorkCalendar
from engine.calendar.due_rules import to_beijing_date
from engine.clock import Clock
from engine.errors import SubmissionRejected
from engine.models import ACTIVE_STATUSES, ProcessInstance, StepRecord
from engine.procedures.due_rule_text import resolve_due_rule
from engine.procedures.rule_sets import Rule, RuleSetLibrary

STEP_DATE = "step_date"


@dataclass
class StepContext:
    """One submission for one step, with what the instance already knows."""

    session: Session
    clock: Clock
    instance: ProcessInstance
    actor_id: int | None
    task_id: str
    element_id: str
    title: str
    properties: Mapping[str, str]
    data: Mapping[str, Any]  # the instance data the task sees, before this submission
    submission: dict[str, Any]  # validated and typed by the task's form
    rule_sets: RuleSetLibrary
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return to_beijing_date(self.clock.now())

    @property
    def step_date(self) -> date:
        value = self.submission.get(STEP_DATE)
        return value if isinstance(value, date) else self.today

    def value(self, name: str) -> Any:
        """A value as it will be after this submission: submitted, computed by a guard, or known before."""
        for source in (self.outputs, self.submission, self.data):
            if name in source:
                return source[name]
        return None

    def rule(self, key: str) -> Rule | None:
        """A rule of the instance's regulation version; None when that version has no such rule."""
        name, version = self.data.get("rule_set"), self.instance.rule_set_version
        if not isinstance(name, str) or not isinstance(version, str):
            return None
        return self.rule_sets.load(name, version).rules.get(key)


class StepRefused(SubmissionRejected):
    """A step that may not be recorded as submitted (too early, a vote that does not add up, …)."""

    code = "step_refused"

    def __init__(self, field_name: str, message: str):
        super().__init__({field_name: [message]})
        self.message = message


StepGuard = Callable[[StepContext], None]
GuardLookup = Callable[[str], StepGuard | None]


def guard_names(properties: Mapping[str, str]) -> list[str]:
    return [name.strip() for name in properties.get("guards", "").split(",") if name.strip()]


def check_step(context: StepContext, guard: GuardLookup) -> dict[str, Any]:
    """Run every check the task declares; returns the submission plus what the checks computed.
    `guard` finds a named guard among the process packages' extensions."""
    properties = context.properties
    if "step" in properties:
        _check_step_date(context)
    if properties.get("earliest"):
        _check_earliest(context, properties["earliest"])
    for name in guard_names(properties):
        check = guard(name)
        if check is None:  # refused at deploy time; only a hand-edited database gets here
            raise StepRefused(STEP_DATE, f"引擎没有名为 {name} 的办理检查 (no step guard named {name!r})")
        check(context)
    if properties.get("date_as"):
        context.outputs[properties["date_as"]] = context.step_date
    if "step" in properties:
        context.outputs["last_step_date"] = context.step_date
        _record(context)
    return {**context.submission, **context.outputs}


def _check_step_date(context: StepContext) -> None:
    step_date, today = context.step_date, context.today
    if step_date > today:
        raise StepRefused(STEP_DATE, f"办理日期 {step_date} 晚于今天 {today}，不能预先登记 (the step date {step_date} is in the future)")
    previous = context.data.get("last_step_date")
    if isinstance(previous, date) and step_date < previous:
        raise StepRefused(
            STEP_DATE,
            f"办理日期 {step_date} 早于上一步骤的日期 {previous}，请核对 "
            f"(the step date {step_date} is before the previous step's date {previous})",
        )


def _check_earliest(context: StepContext, text: str) -> None:
    earliest, basis = earliest_date(context, text)
    if earliest is not None and context.step_date < earliest:
        raise StepRefused(
            STEP_DATE,
            f"“{context.title}”最早可于 {earliest} 办理（{basis}），所填日期 {context.step_date} 过早 "
            f"({context.title} is possible from {earliest} on; {context.step_date} is too early)",
        )


def earliest_date(context: StepContext, text: str) -> tuple[date | None, str]:
    """The first day a step may happen, and the basis to cite; (None, …) when no rule applies."""
    if text.strip().isidentifier():  # the name of a date in the data, e.g. probation_ends_on
        return _date_in_data(context, text.strip()), text.strip()
    try:
        resolved = resolve_due_rule(text, {**context.data, **context.outputs, **context.submission}, context.rule_sets)
        if resolved is None:
            return None, ""
        # A strict calendar: a window ending in a year with no published holidays cannot be counted.
        due = resolved.rule.due_from(resolved.anchor or context.clock.now(), WorkCalendar(context.session))
    except CalendarUnknown as unknown:
        raise StepRefused(STEP_DATE, f"{unknown.message}，暂不能确定“{context.title}”的最早日期") from None
    except DueDataInvalid as invalid:
        raise StepRefused(STEP_DATE, invalid.message) from None
    rule = context.rule(text.split(maxsplit=1)[0].removeprefix("rule:"))
    return to_beijing_date(due.value), cite(rule) if rule is not None else text


def has_open_case(session: Session, process_key: str, person_id: int, other_than: int) -> bool:
    """Whether another unfinished case of this process is about this person."""
    return (
        session.scalar(
            select(ProcessInstance.id).where(
                ProcessInstance.process_key == process_key,
                ProcessInstance.subject_person_id == person_id,
                ProcessInstance.id != other_than,
                ProcessInstance.status.in_(ACTIVE_STATUSES),
            )
        )
        is not None
    )


def cite(rule: Rule | None) -> str:
    """How a refusal names its basis: version, article and the rule's words."""
    return f"{rule.citation}：{rule.text}" if rule is not None else "规则集未规定"


def _date_in_data(context: StepContext, name: str) -> date:
    value = context.value(name)
    if isinstance(value, datetime):
        return to_beijing_date(value)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise StepRefused(STEP_DATE, f"流程数据中没有日期 {name} (no date {name} in the instance data)") from None


def _record(context: StepContext) -> None:
    properties = context.properties
    documents = [name for name in properties.get("documents", "").split("、") if name]
    context.session.add(
        StepRecord(
            instance_id=context.instance.id,
            task_id=context.task_id,
            subject_person_id=context.instance.subject_person_id,
            process_key=context.instance.process_key,
            element_id=context.element_id,
            stage=properties.get("stage"),
            step=int(properties["step"]) if properties["step"].isdigit() else None,
            title=context.title,
            documents=documents,
            record_date=context.step_date,
            details=jsonable({**context.submission, **context.outputs}),
            note=context.submission.get("note"),
            recorded_by_id=context.actor_id,
            recorded_at=context.clock.now(),
        )
    )
