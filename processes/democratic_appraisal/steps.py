"""民主评议党员: the checks its steps make and the service tasks its BPMN calls.

democratic_appraisal.bpmn beside this file names these; the limits (the 优秀 cap, the window, 公示) come
from the instance's rule set (rules/<version>.json beside this file) and are cited as
(version, article). The anonymous ballot itself lives in processes/democratic_appraisal/ballot.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.due_rules import to_beijing_date
from engine.errors import InvalidCommand, NotFound
from engine.models import (
    MembershipStatus,
    Notification,
    Organization,
    PartyStanding,
    Person,
    Role,
    RoleAssignment,
)
from engine.party.branch_vote import branch_voters
from engine.procedures.rule_sets import Rule, as_fraction
from engine.procedures.service_calls import ServiceCall
from engine.procedures.step_guards import StepContext, StepRefused, cite
from processes.democratic_appraisal.ballot import GRADE_TITLES, GRADES, close_ballot, open_ballot

PROCESS_KEY = "democratic_appraisal"
DISCLOSURE_KEY = "disclosure_review"
DISPOSITION_KEY = "member_disposition"
BASIS = "《中国共产党党员教育管理工作条例》"
WINDOW_OPENS = (10, 1)  # 第四季度
RESULT_ADVICE = {
    "excellent": "予以表扬。",
    "qualified": "予以肯定。",
    "basically_qualified": "请对照反馈的问题制定整改措施，支部将帮助改进。",
    "unqualified": "支部将先进行教育，并按《中国共产党不合格党员组织处置办法》规定的程序处置，您有权申诉。",
}


# -- service tasks --------------------------------------------------------------------------


def list_members(call: ServiceCall) -> dict[str, Any]:
    """The full members of the branch, each appraised once (keyed by id, for the multi-instance 自评)."""
    today = to_beijing_date(call.clock.now())
    members = appraised_members(call.session, call.instance.organization_id)
    return {
        "members": {str(person.id): person.id for person in members},
        "names": {str(person.id): person.display_name for person in members},
        "year": today.year,
        "window_opens_on": date(today.year, *WINDOW_OPENS).isoformat(),
    }


def start_ballot(call: ServiceCall) -> dict[str, Any]:
    """民主测评 opens: every full member with a vote (not under 留党察看) may cast one ballot."""
    appraised = sorted(int(person_id) for person_id in call.task_data["appraisal_members"].values())
    voters = sorted(branch_voters(call.session, call.instance.organization_id, to_beijing_date(call.clock.now())))
    open_ballot(call.session, call.instance.id, call.instance.organization_id, appraised, voters, call.clock.now())
    return {"status": "open", "appraised": len(appraised), "voters": len(voters)}


def count_ballot(call: ServiceCall) -> dict[str, Any]:
    """The totals per member and grade, and what the decision table reads for each member."""
    if call.sealer is None:
        raise InvalidCommand("民主测评的密封选票需要应用的密钥才能计票 (counting sealed ballots needs the app's sealer)")
    totals = close_ballot(call.session, call.sealer, call.clock, call.instance.id, call.actor_id)
    self_grades: Mapping[str, str] = call.task_data.get("self_grades") or {}
    inputs = {member: vote_shares(counts, self_grades.get(member)) for member, counts in totals.items()}
    return {"tallies": totals, "inputs": inputs}


def notify_results(call: ServiceCall) -> dict[str, Any]:
    """结果告知: each member is told their own grade, and only theirs."""
    year, now = call.task_data["appraisal_year"], call.clock.now()
    grades: Mapping[str, str] = call.task_data["final_grades"]
    call.session.add_all(
        Notification(
            person_id=int(member),
            task_id=None,
            instance_id=call.instance.id,
            kind="appraisal_result",
            created_at=now,
            message=f"{year}年度民主评议党员：您的评定等次为“{GRADE_TITLES[grade]}”。{RESULT_ADVICE[grade]} "
            f"(democratic appraisal {year}: your grade is {grade})",
        )
        for member, grade in sorted(grades.items())
    )
    return {"notified": len(grades)}


def start_publicity(call: ServiceCall) -> dict[str, Any]:
    """公示: a 党务公开 case with the plan filled in; the drafter reviews it and the usual review follows."""
    plan = publicity_plan(call)
    return start_follow_up(call, DISCLOSURE_KEY, plan, f"{PROCESS_KEY}:{call.instance.id}:publicity")


def start_dispositions(call: ServiceCall) -> dict[str, Any]:
    """不合格: one 组织处置 case per member, opened with the member and the appraisal on record."""
    started = {}
    for member_id in call.task_data["unqualified_ids"]:
        data = {"member_id": member_id, "appraisal_instance_id": call.instance.id, "appraisal_year": call.task_data["appraisal_year"]}
        key = f"{PROCESS_KEY}:{call.instance.id}:disposition:{member_id}"
        started[str(member_id)] = start_follow_up(call, DISPOSITION_KEY, data, key, subject_person_id=member_id)
    return started


# -- guards ---------------------------------------------------------------------------------


def check_grades(context: StepContext) -> None:
    """组织评定: one of the four grades for every appraised member, 优秀 within the cap."""
    members = sorted(int(person_id) for person_id in context.data["appraisal_members"].values())
    grades = _parsed_grades(context.submission["grades"])
    _check_everyone_graded(context, members, grades)
    _check_excellent_cap(context, len(members), [p for p, g in grades.items() if g == "excellent"])
    by_grade = {grade: sorted(p for p, g in grades.items() if g == grade) for grade in GRADES}
    context.outputs.update(
        final_grades={str(p): g for p, g in sorted(grades.items())},
        excellent_ids=by_grade["excellent"],
        basically_qualified_ids=by_grade["basically_qualified"],
        unqualified_ids=by_grade["unqualified"],
        needs_higher_approval=bool(by_grade["excellent"] or by_grade["unqualified"]),
    )


def _parsed_grades(entries: list[str]) -> dict[int, str]:
    grades: dict[int, str] = {}
    for entry in entries:
        member, _, grade = entry.partition(":")
        if grade not in GRADES:
            raise StepRefused(
                "grades",
                f"“{entry}”的等次不是优秀、合格、基本合格、不合格之一（excellent、qualified、basically_qualified、unqualified） "
                f"(a grade is one of {', '.join(GRADES)})",
            )
        if int(member) in grades:
            raise StepRefused("grades", f"党员 {member} 被评定了两次，每名党员只评定一个等次 (member {member} is graded twice)")
        grades[int(member)] = grade
    return grades


def _check_everyone_graded(context: StepContext, members: list[int], grades: Mapping[int, str]) -> None:
    names: Mapping[str, str] = context.data.get("member_names") or {}
    missing = [names.get(str(p), str(p)) for p in members if p not in grades]
    if missing:
        raise StepRefused("grades", f"以下党员尚未评定等次：{'、'.join(missing)} (every appraised member needs a grade)")
    strangers = sorted(set(grades) - set(members))
    if strangers:
        shown = "、".join(str(p) for p in strangers)
        raise StepRefused("grades", f"{shown} 不在本次评议的党员名单中 (not appraised in this instance: {shown})")


def _check_excellent_cap(context: StepContext, total: int, excellent: list[int]) -> None:
    rule = context.rule("excellent_cap")
    share = as_fraction(rule.value) if rule is not None else None
    if rule is None or share is None:
        return
    most = math.floor(share * total)
    if len(excellent) > most:
        raise StepRefused(
            "grades",
            f"评为优秀的有 {len(excellent)} 名，超过党员总数 {total} 名的{rule.value}，最多 {most} 名"
            f"（{BASIS}{cite(rule)}） (at most {most} of {total} members may be graded excellent: {rule.value})",
        )


# -- shared reading -------------------------------------------------------------------------


def appraised_members(session: Session, organization_id: int) -> list[Person]:
    """Full members holding the member role in the branch, in id order."""
    return list(
        session.scalars(
            select(Person)
            .join(RoleAssignment, RoleAssignment.person_id == Person.id)
            .join(PartyStanding, PartyStanding.person_id == Person.id)
            .where(
                RoleAssignment.organization_id == organization_id,
                RoleAssignment.role == Role.MEMBER,
                PartyStanding.status == MembershipStatus.FULL,
            )
            .order_by(Person.id)
            .distinct()
        )
    )


def vote_shares(counts: Mapping[str, int], self_grade: str | None) -> dict[str, Any]:
    """Whole percentages of the votes a member received (0 when nobody graded them)."""
    cast = sum(counts.values())

    def percent(*grades: str) -> int:
        return round(100 * sum(counts.get(g, 0) for g in grades) / cast) if cast else 0

    return {
        "votes": cast,
        "excellent_pct": percent("excellent"),
        "negative_pct": percent("basically_qualified", "unqualified"),
        "unqualified_pct": percent("unqualified"),
        "self_grade": self_grade or "",
    }


def publicity_plan(call: ServiceCall) -> dict[str, Any]:
    """Only the 优秀 are named; the other grades are published as counts (每人的等次已单独告知本人)."""
    data, session = call.task_data, call.session
    organization = session.get(Organization, call.instance.organization_id)
    names: Mapping[str, str] = data.get("member_names") or {}
    grades: Mapping[str, str] = data["final_grades"]
    counts = "，".join(f"{GRADE_TITLES[g]} {sum(1 for v in grades.values() if v == g)} 名" for g in GRADES)
    excellent = "、".join(names.get(str(p), str(p)) for p in data.get("excellent_ids") or []) or "无"
    unit = organization.name if organization is not None else ""
    return {
        "title": f"{unit}{data['appraisal_year']}年度民主评议党员结果公示",
        "content": (
            f"经个人自评、党员互评、民主测评和支部委员会组织评定，共评议党员 {len(grades)} 名：{counts}。评为优秀的党员：{excellent}。"
        ),
        "scope": "local",
        "methods": ["bulletin_board"],
        "publish_on": to_beijing_date(call.clock.now()).isoformat(),
        "feedback_days": _publicity_days(_rule(call, "results_publicity")),
    }


def start_follow_up(
    call: ServiceCall, process_key: str, data: dict[str, Any], business_key: str, *, subject_person_id: int | None = None
) -> dict[str, Any]:
    """Start another process in this command's transaction, or tell the secretaries to open it by hand."""
    try:
        started = call.start_process(process_key, data, business_key)
    except NotFound:
        _ask_secretaries(call, process_key, data)
        return {
            "status": "manual",
            "process_key": process_key,
            "reason": f"{process_key} 未部署，须人工发起 (not deployed: open it by hand)",
        }
    if subject_person_id is not None:
        started.subject_person_id = subject_person_id
    return {"status": "started", "process_key": process_key, "instance_id": started.id}


def _ask_secretaries(call: ServiceCall, process_key: str, data: Mapping[str, Any]) -> None:
    secretaries = call.session.scalars(
        select(RoleAssignment.person_id).where(
            RoleAssignment.organization_id == call.instance.organization_id,
            RoleAssignment.role == Role.BRANCH_SECRETARY,
        )
    )
    what = "评议结果公示" if process_key == DISCLOSURE_KEY else f"党员 {data.get('member_id')} 的组织处置"
    call.session.add_all(
        Notification(
            person_id=person_id,
            task_id=None,
            instance_id=call.instance.id,
            kind="appraisal_follow_up",
            created_at=call.clock.now(),
            message=f"民主评议：{what}尚未能自动发起（流程 {process_key} 未部署），请人工发起 (start {process_key} by hand)",
        )
        for person_id in sorted(set(secretaries))
    )


def _rule(call: ServiceCall, key: str) -> Rule | None:
    return call.rule_sets.load(PROCESS_KEY, call.task_data["rule_set_version"]).rules.get(key)


def _publicity_days(rule: Rule | None) -> int:
    words = str(rule.value).split() if rule is not None else []
    return int(words[0]) if words and words[0].isdigit() else 5
