"""不合格党员组织处置: the checks its steps make and the standing changes its decisions bring.

The BPMN (member_disposition.bpmn beside this file) names these guards on its tasks and calls these service
tasks; every limit comes from the instance's rule set (rules/<version>.json beside this file)
and is cited as (version, article).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar import CHINA_UTC_OFFSET, add_calendar_period, parse_iso_duration
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

PROCESS_KEY = "member_disposition"
RULE_SET = "member_disposition"

CORRECT, ADVISE_TO_LEAVE, STRIKE_OFF = "correct", "advise_to_leave", "strike_off"
MEASURE_TITLES = {CORRECT: "限期改正", ADVISE_TO_LEAVE: "劝其退党", STRIKE_OFF: "除名"}

# The situations the 办法 lists for each measure (docs/DOMAIN.md §3.2): a proposal must match its grounds.
GROUNDS: dict[str, tuple[str, str]] = {
    "weak_ideals": (CORRECT, "理想信念不坚定、缺乏革命意志，但愿意改正"),
    "religion": (CORRECT, "信仰宗教"),
    "passivity": (CORRECT, "工作消极懈怠，不发挥先锋模范作用"),
    "weak_discipline": (CORRECT, "不按照规定参加党的组织生活、不按时足额交纳党费"),
    "lost_contact": (CORRECT, "与党组织失去联系6个月以上、2年以内"),
    "threat_to_leave": (ADVISE_TO_LEAVE, "以退党相要挟，经教育不改"),
    "correction_failed": (ADVISE_TO_LEAVE, "限期改正期满后仍无转变"),
    "lost_conditions": (STRIKE_OFF, "已经丧失党员条件"),
    "absent_six_months": (STRIKE_OFF, "无正当理由连续6个月不参加组织生活、不交纳党费或不做党所分配的工作"),
    "lost_contact_two_years": (STRIKE_OFF, "因失去联系被停止党籍，2年后确实无法取得联系"),
    "refused_to_leave": (STRIKE_OFF, "受到劝其退党处置、本人坚持不退"),
}

MEMBERS = (MembershipStatus.PROBATIONARY, MembershipStatus.FULL)
BAR_REASONS = {MembershipStatus.ADVISED_TO_LEAVE: "劝其退党", MembershipStatus.STRUCK_OFF: "除名"}


# -- guards ---------------------------------------------------------------------------------


def check_subject(context: StepContext) -> None:
    """启动: a member of this branch, not already sanctioned for the same issue, with no other open case."""
    person = _person(context.session, context.submission["member_id"])
    standing = context.session.get(PartyStanding, person.id)
    in_branch = _member_of(context.session, person.id, context.instance.organization_id)
    if standing is None or standing.status not in MEMBERS or not in_branch:
        raise StepRefused("member_id", f"{person.display_name} 不是本支部党员，不能由本支部进行组织处置 (not a member of this branch)")
    if not context.submission.get("not_sanctioned_for_same_issue"):
        raise StepRefused(
            "not_sanctioned_for_same_issue",
            f"已因同一问题受到党纪处分的，不再进行组织处置（{_cite(context.rule('not_cumulative'))}） "
            "(a member already sanctioned for the same issue is not handled again by organisational disposition)",
        )
    if has_open_case(context.session, PROCESS_KEY, person.id, context.instance.id):
        raise StepRefused(
            "member_id", f"{person.display_name} 已有正在办理的组织处置流程 (a disposition case is already open for this person)"
        )
    context.instance.subject_person_id = person.id
    context.outputs["member_name"] = person.display_name


def check_talkers(context: StepContext) -> None:
    """谈话: the branch sends (normally two) full members; the person concerned is not one of them."""
    rule = context.rule("talkers")
    needed = rule.value if rule is not None and isinstance(rule.value, int) else 2
    ids = list(context.submission.get("talker_ids") or [])
    if len(set(ids)) != len(ids) or len(ids) != needed:
        raise StepRefused(
            "talker_ids", f"谈话人应为{needed}名正式党员，不能重复（{_cite(rule)}） (the talk needs {needed} distinct full members)"
        )
    for person_id in ids:
        if person_id == context.instance.subject_person_id:
            raise StepRefused("talker_ids", "拟处置党员本人不能担任谈话人 (the person concerned cannot be a talker)")
        standing = context.session.get(PartyStanding, person_id)
        if standing is None or standing.status != MembershipStatus.FULL:
            raise StepRefused("talker_ids", f"人员 {person_id} 不是正式党员，不能担任谈话人 (person {person_id} is not a full member)")


def check_measure(context: StepContext) -> None:
    """支委会提出处置意见: the measure fits its grounds and the person; 限期改正 lasts 1 month to the rule's maximum."""
    measure, grounds = context.submission["measure"], context.submission["grounds"]
    _check_required_measure(context, measure)
    if GROUNDS[grounds][0] != measure:
        fitting = MEASURE_TITLES[GROUNDS[grounds][0]]
        raise StepRefused(
            "measure",
            f"“{GROUNDS[grounds][1]}”应给予{fitting}，不能提出{MEASURE_TITLES[measure]} "
            f"(these grounds call for {fitting}, not {MEASURE_TITLES[measure]})",
        )
    if measure == ADVISE_TO_LEAVE:
        _check_not_probationary(context)
    if measure == CORRECT:
        context.outputs["correction_months"] = _correction_months(context)


def check_pre_review(context: StepContext) -> None:
    """预审: 劝退 and 除名 also need the next higher 组织部's pre-review, in writing."""
    measure, submission = context.data.get("measure"), context.submission
    if submission.get("outcome") != "agree" or measure not in (ADVISE_TO_LEAVE, STRIKE_OFF):
        return
    if not submission.get("department_reviewed") or not (submission.get("department_opinion") or "").strip():
        raise StepRefused(
            "department_opinion",
            f"拟作{MEASURE_TITLES[measure]}处置的，基层党委预审后还须报上一级党委组织部门预审，并书面反馈预审意见 "
            f"(a proposed {MEASURE_TITLES[measure]} needs the next higher organisation department's written pre-review)",
        )


def check_notice(context: StepContext) -> None:
    """通知本人: the person is told of their right to appeal; after 劝退, their answer is recorded."""
    if not context.submission.get("appeal_rights_told"):
        raise StepRefused("appeal_rights_told", "通知本人时须告知其有权提出申诉 (the person must be told of the right to appeal)")
    if context.data.get("measure") == ADVISE_TO_LEAVE and context.submission.get("response") not in ("accept", "refuse"):
        raise StepRefused("response", "劝其退党的，须记录本人是否同意退党 (record whether the person agrees to leave)")


# -- service tasks --------------------------------------------------------------------------


def start_correction(call: ServiceCall) -> dict[str, Any]:
    """限期改正 runs from the day the person is told; re-assessed at its end (09:00 Beijing)."""
    notified_on: date = call.task_data["notice_date"]
    ends_on = add_calendar_period(notified_on, parse_iso_duration(f"P{int(call.task_data['correction_months'])}M"))
    ends_at = datetime.combine(ends_on, time(9)) - CHINA_UTC_OFFSET
    return {"starts_on": notified_on, "ends_on": ends_on, "ends_at": ends_at.replace(tzinfo=UTC).isoformat()}


def advise_to_leave(call: ServiceCall) -> dict[str, Any]:
    return _remove_from_party(call, MembershipStatus.ADVISED_TO_LEAVE)


def strike_off(call: ServiceCall) -> dict[str, Any]:
    return _remove_from_party(call, MembershipStatus.STRUCK_OFF)


def _remove_from_party(call: ServiceCall, status: MembershipStatus) -> dict[str, Any]:
    """The member leaves every party organisation and may not re-join for the rule's years after the decision."""
    person_id = call.instance.subject_person_id
    standing = call.session.get(PartyStanding, person_id) if person_id is not None else None
    if standing is None:
        raise StepRefused("member_id", "流程尚未登记拟处置党员 (no member recorded)")
    decided_on: date = call.task_data["decision_date"]
    bar = call.rule_sets.load(RULE_SET, call.task_data["rule_set_version"]).rule("reentry_bar")
    standing.status, standing.updated_at = status, call.clock.now()
    standing.reentry_barred_until = add_calendar_period(decided_on, parse_iso_duration(str(bar.value)))
    standing.reentry_bar_reason = BAR_REASONS[status]
    for assignment in call.session.scalars(
        select(RoleAssignment).where(RoleAssignment.person_id == person_id, RoleAssignment.role == Role.MEMBER)
    ):
        call.session.delete(assignment)
    return {"status": status.value, "reentry_barred_until": standing.reentry_barred_until, "basis": cite(bar)}


# -- shared reading -------------------------------------------------------------------------


def _check_required_measure(context: StepContext, measure: str) -> None:
    """After 限期改正 without change only 劝退 follows; after 劝退 refused only 除名 (党章 §9)."""
    required = context.data.get("required_measure")
    if required and measure != required:
        raise StepRefused(
            "measure",
            f"{context.data.get('required_reason', '')}，应提出{MEASURE_TITLES[required]}，不能提出{MEASURE_TITLES[measure]} "
            f"(the next measure is {MEASURE_TITLES[required]})",
        )


def _check_not_probationary(context: StepContext) -> None:
    standing = context.session.get(PartyStanding, context.instance.subject_person_id)
    if standing is not None and standing.status == MembershipStatus.PROBATIONARY:
        raise StepRefused(
            "measure",
            f"{context.data.get('member_name', '该同志')} 是预备党员，不能劝其退党；不具备党员条件的，应在讨论其转正时"
            "由支部大会作出延长预备期或者取消预备党员资格的决议 "
            "(a probationary member cannot be advised to leave: extend or cancel the probation at the full-membership decision)",
        )


def _correction_months(context: StepContext) -> int:
    usual, longest = context.rule("correction_period"), context.rule("correction_period_max")
    months = context.submission.get("correction_months")
    months = whole_months(usual, 6) if months is None else months
    most = whole_months(longest, 12)
    if not 1 <= months <= most:
        raise StepRefused(
            "correction_months",
            f"限期改正时间为 {months} 个月，应为1至{most}个月（{_cite(longest)}） (a correction period lasts 1 to {most} months)",
        )
    return int(months)


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise StepRefused("member_id", f"人员 {person_id} 不存在 (person not found)")
    return person


def _member_of(session: Session, person_id: int, organization_id: int) -> bool:
    return (
        session.scalar(
            select(RoleAssignment.id).where(
                RoleAssignment.person_id == person_id,
                RoleAssignment.organization_id == organization_id,
                RoleAssignment.role == Role.MEMBER,
            )
        )
        is not None
    )


def _cite(rule: Rule | None) -> str:
    return f"《不合格党员组织处置办法》{cite(rule)}"
