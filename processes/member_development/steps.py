"""发展党员: the checks its steps make and the standing changes its decisions bring.

The BPMN (member_development.bpmn beside this file) names these guards on its tasks and calls these
service tasks, by the names the package's extensions give them; every limit comes from the
instance's rule set and is cited as (version, article).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import CHINA_UTC_OFFSET, add_calendar_period, parse_iso_duration
from engine.calendar.periods import add_months
from engine.models import (
    MembershipStatus,
    PartyStanding,
    Person,
    Role,
    RoleAssignment,
)
from engine.procedures.rule_sets import Rule, whole_months
from engine.procedures.service_calls import ServiceCall
from engine.procedures.step_guards import StepContext, StepRefused, cite, has_open_case

PROCESS_KEY = "member_development"

STAGES: dict[str, tuple[str, str]] = {
    "application": ("申请入党", "Application"),
    "activist": ("入党积极分子的确定和培养教育", "Activists"),
    "candidate": ("发展对象的确定和考察", "Candidates for development"),
    "admission": ("预备党员的接收", "Admission as probationary member"),
    "probation": ("预备党员的教育考察和转正", "Probation and full membership"),
}


# -- guards ---------------------------------------------------------------------------------


def check_applicant(context: StepContext) -> None:
    """Step 1: who applies, aged 18 or over on the application date, not a member, not barred."""
    person = _person(context, "applicant_id")
    birth_date: date = context.submission["birth_date"]
    applied_on = context.step_date
    age_rule = context.rule("minimum_age")
    if age_rule is not None:
        adult_on = add_calendar_period(birth_date, parse_iso_duration(str(age_rule.value)))
        if applied_on < adult_on:
            raise StepRefused(
                "birth_date",
                f"{person.display_name} 于 {adult_on} 年满十八岁，申请日期 {applied_on} 时未满十八岁，不能受理"
                f"（{_cite(age_rule)}） (the applicant turns 18 on {adult_on})",
            )
    standing = context.session.get(PartyStanding, person.id)
    if standing is not None and standing.status in (MembershipStatus.PROBATIONARY, MembershipStatus.FULL):
        kind = "预备" if standing.status == MembershipStatus.PROBATIONARY else "正式"
        raise StepRefused("applicant_id", f"{person.display_name} 已是{kind}党员，不能再申请入党 (already a member)")
    if standing is not None and standing.reentry_barred_until and applied_on < standing.reentry_barred_until:
        raise StepRefused(
            "applicant_id",
            f"{person.display_name} 因{standing.reentry_bar_reason or '劝其退党或除名'}，{standing.reentry_barred_until} 前不得重新入党 "
            f"(barred from re-entry until {standing.reentry_barred_until})",
        )
    if has_open_case(context.session, PROCESS_KEY, person.id, context.instance.id):
        raise StepRefused(
            "applicant_id", f"{person.display_name} 已有正在办理的发展党员流程 (a development case is already open for this person)"
        )
    context.instance.subject_person_id = person.id
    context.outputs["applicant_name"] = person.display_name


def check_contacts(context: StepContext) -> None:
    """Step 5: one or two full members as 培养联系人."""
    most = _number(context.rule("contacts_maximum"), 2)
    _check_full_members(context, "contact_ids", "培养联系人", least=1, most=most)


def check_sponsors(context: StepContext) -> None:
    """Step 9: two full members, none under 留党察看, as 入党介绍人."""
    needed = _number(context.rule("sponsors"), 2)
    _check_full_members(context, "sponsor_ids", "入党介绍人", least=needed, most=needed)


def check_training(context: StepContext) -> None:
    """Step 11: at least three days or 24 class hours of 集中培训."""
    days_rule, hours_rule = context.rule("training_minimum_days"), context.rule("training_minimum_hours")
    least_days, least_hours = _number(days_rule, 3), _number(hours_rule, 24)
    days, hours = context.submission.get("training_days") or 0, context.submission.get("training_hours") or 0
    if days < least_days and hours < least_hours:
        raise StepRefused(
            "training_days",
            f"集中培训 {days} 天、{hours} 学时，少于 {least_days} 天或 {least_hours} 学时（{_cite(days_rule)}） "
            f"(training must last at least {least_days} days or {least_hours} class hours)",
        )


def check_leaving_soon(context: StepContext) -> None:
    """Step 12: someone leaving their unit within three months is generally not admitted (T10)."""
    leaving_on = context.submission.get("expected_departure_date")
    rule = context.rule("leaving_soon")
    if leaving_on is None or rule is None:
        context.outputs["leaving_soon"] = False
        return
    horizon = add_calendar_period(context.step_date, parse_iso_duration(str(rule.value)))
    soon = leaving_on <= horizon
    context.outputs["leaving_soon"] = soon
    if soon and not (context.submission.get("leaving_soon_reason") or "").strip():
        raise StepRefused(
            "leaving_soon_reason",
            f"预计 {leaving_on} 离开工作、学习单位，在三个月内，一般不办理接收预备党员的手续（{_cite(rule)}）；"
            "如确需办理，请填写理由 (leaving within three months: give the reason to proceed)",
        )


def check_probation_decision(context: StepContext) -> None:
    """Step 23: 按期转正, 延长预备期 (once, 6–12 months) or 取消预备党员资格."""
    if context.submission.get("resolution") != "extend":
        return
    shortest, longest = context.rule("probation_extension_min"), context.rule("probation_extension_max")
    low, high = whole_months(shortest, 6), whole_months(longest, 12)
    months = context.submission.get("extension_months")
    if context.data.get("probation_extended"):
        raise StepRefused("resolution", f"预备期只能延长一次，已经延长过（{_cite(shortest)}） (probation can be extended only once)")
    if not isinstance(months, int) or not low <= months <= high:
        raise StepRefused(
            "extension_months",
            f"延长预备期最短{low}个月、最长{high}个月（{_cite(shortest)}），所填为 {months} (an extension lasts {low} to {high} months)",
        )


def check_approval_extension(context: StepContext) -> None:
    """Step 17: the approval time may be extended in special cases, with the reason on record."""
    if context.submission.get("outcome") == "extend" and not (context.submission.get("extension_reason") or "").strip():
        rule = context.rule("committee_approval_limit")
        raise StepRefused("extension_reason", f"延长审批时间须写明理由（何种特殊情况，{_cite(rule)}） (an extension needs its reason)")


def check_publicity(context: StepContext) -> None:
    """公示: it cannot start before the previous step, nor end early (the task's `earliest`)."""
    started = context.submission["publicity_start"]
    previous = context.data.get("last_step_date")
    if isinstance(previous, date) and started < previous:
        raise StepRefused(
            "publicity_start", f"公示开始日期 {started} 早于上一步骤的日期 {previous} (publicity cannot start before the previous step)"
        )
    if context.submission.get("has_objection") and not (context.submission.get("objection_summary") or "").strip():
        raise StepRefused("objection_summary", "有反映问题的，须写明问题概要 (summarise the objection)")


# -- service tasks --------------------------------------------------------------------------


def admit_probationary(call: ServiceCall) -> dict[str, Any]:
    """上级党委批准: a probationary member of the branch, probation counted from the branch meeting."""
    person_id = _subject(call)
    meeting_date: date = call.task_data["admission_meeting_date"]
    ends_on = _after(meeting_date, _rule(call, "probation").value)
    standing = call.session.get(PartyStanding, person_id) or PartyStanding(person_id=person_id)
    standing.status = MembershipStatus.PROBATIONARY
    standing.probation_started_on, standing.probation_ends_on = meeting_date, ends_on
    standing.probation_extended, standing.updated_at = False, call.clock.now()
    call.session.add(standing)
    _hold_member_role(call.session, person_id, call.instance.organization_id)
    return _probation_dates(call, ends_on)


def extend_probation(call: ServiceCall) -> dict[str, Any]:
    standing, ends_on = _probationer(call)
    months = int(call.task_data["extension_months"])
    ends_on = _after(ends_on, f"P{months}M")
    standing.probation_ends_on, standing.probation_extended, standing.updated_at = ends_on, True, call.clock.now()
    return _probation_dates(call, ends_on)


def confirm_full_membership(call: ServiceCall) -> dict[str, Any]:
    """转正: 党龄 counts from the day probation ended."""
    standing, ends_on = _probationer(call)
    standing.status, standing.full_since, standing.updated_at = MembershipStatus.FULL, ends_on, call.clock.now()
    return {"status": standing.status.value, "full_since": standing.full_since}


def cancel_probation(call: ServiceCall) -> dict[str, Any]:
    standing, _ = _probationer(call)
    standing.status, standing.updated_at = MembershipStatus.PROBATION_CANCELLED, call.clock.now()
    for assignment in call.session.scalars(
        select(RoleAssignment).where(RoleAssignment.person_id == standing.person_id, RoleAssignment.role == Role.MEMBER)
    ):
        call.session.delete(assignment)
    return {"status": standing.status.value}


def _check_full_members(context: StepContext, field_name: str, title: str, *, least: int, most: int) -> None:
    ids = list(context.submission.get(field_name) or [])
    if not least <= len(set(ids)) == len(ids) <= most:
        count = f"{least}名" if least == most else f"{least}至{most}名"
        raise StepRefused(field_name, f"{title}应为{count}正式党员，不能重复 ({title}: {least}–{most} distinct full members)")
    for person_id in ids:
        if person_id == context.instance.subject_person_id:
            raise StepRefused(field_name, f"申请人本人不能担任{title} (the applicant cannot be their own {field_name})")
        person = context.session.get(Person, person_id)
        if person is None:
            raise StepRefused(field_name, f"人员 {person_id} 不存在 (person {person_id} not found)")
        standing = context.session.get(PartyStanding, person_id)
        if standing is None or standing.status != MembershipStatus.FULL:
            raise StepRefused(
                field_name, f"{person.display_name} 不是正式党员，不能担任{title} ({person.display_name} is not a full member)"
            )
        if standing.on_probation_discipline_until and standing.on_probation_discipline_until >= context.step_date:
            raise StepRefused(
                field_name,
                f"{person.display_name} 受留党察看处分、党员权利尚未恢复（至 {standing.on_probation_discipline_until}），不能担任{title} "
                f"({person.display_name} is under 留党察看)",
            )


def _person(context: StepContext, field_name: str) -> Person:
    person = context.session.get(Person, context.submission[field_name])
    if person is None:
        raise StepRefused(field_name, f"人员 {context.submission[field_name]} 不存在 (person not found)")
    return person


def _subject(call: ServiceCall) -> int:
    if call.instance.subject_person_id is None:
        raise StepRefused("applicant_id", "流程尚未登记申请人 (no applicant recorded)")
    return call.instance.subject_person_id


def _probationer(call: ServiceCall) -> tuple[PartyStanding, date]:
    """The subject's standing, still a probationary member, and the day their probation ends."""
    standing = call.session.get(PartyStanding, _subject(call))
    if standing is None or standing.status != MembershipStatus.PROBATIONARY or standing.probation_ends_on is None:
        raise StepRefused("resolution", "此人不是预备党员 (not a probationary member)")
    return standing, standing.probation_ends_on


def _hold_member_role(session: Session, person_id: int, organization_id: int) -> None:
    held = session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.organization_id == organization_id,
            RoleAssignment.role == Role.MEMBER,
        )
    )
    if held is None:
        session.add(RoleAssignment(person_id=person_id, organization_id=organization_id, role=Role.MEMBER))


def _rule(call: ServiceCall, key: str) -> Rule:
    return call.rule_sets.load(PROCESS_KEY, call.task_data["rule_set_version"]).rule(key)


def _probation_dates(call: ServiceCall, ends_on: date) -> dict[str, Any]:
    """When probation ends and when the member is reminded to apply (a month before, at 09:00 Beijing)."""
    lead = parse_iso_duration(str(_rule(call, "probation_reminder").value))
    remind_on = add_months(ends_on, -(lead.years * 12 + lead.months)) - timedelta(weeks=lead.weeks, days=lead.days)
    remind_at = datetime.combine(remind_on, time(9)) - CHINA_UTC_OFFSET
    return {"ends_on": ends_on, "remind_at": remind_at.replace(tzinfo=UTC).isoformat()}


def _after(day: date, duration: object) -> date:
    return add_calendar_period(day, parse_iso_duration(str(duration)))


def _number(rule: Rule | None, default: int) -> int:
    return rule.value if rule is not None and isinstance(rule.value, int) else default


def _cite(rule: Rule | None) -> str:
    return f"《发展党员工作细则》{cite(rule)}"
