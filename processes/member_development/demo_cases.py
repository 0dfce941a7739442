"""Demo 发展党员 cases at several stages, played through the engine step by step on their own dates
(as a 组织员 would have recorded them), so that the pipeline, the inbox and the deadlines show a
living branch: one applicant waiting for the talk, one activist eligible to become a candidate, one
candidate whose 预审 is overdue, one probationary member about to apply for full membership.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.calendar import CHINA_UTC_OFFSET, WorkCalendar
from engine.calendar.due_rules import to_beijing_date
from engine.calendar.periods import add_months
from engine.clock import Clock, FrozenClock
from engine.instances.service import InstanceService
from engine.models import Person, ProcessDefinition, TaskStatus, UserTask
from engine.procedures.extensions import ProcessExtensions
from engine.timers.delivery import fire_due_timers
from processes.member_development.steps import PROCESS_KEY

Step = tuple[str, str, date, dict[str, Any]]  # element, username, step date, submission


@dataclass(frozen=True)
class DemoCase:
    applicant: str
    birth_date: str
    steps: Callable[[date, _Payloads], list[Step]]


def seed_development_cases(sessions: sessionmaker[Session], clock: Clock, branch_id: int, extensions: ProcessExtensions) -> list[int]:
    """Play the demo cases in the branch up to today, with the process packages' extensions; returns
    the instance ids (none when the process is not deployed)."""
    with sessions() as session:
        if session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS_KEY)) is None:
            return []
        people = dict(session.execute(select(Person.username, Person.id)).all())
    today = to_beijing_date(clock.now())
    payloads = _Payloads(people, sessions)
    return [_play(sessions, extensions, case, today, payloads, people, branch_id) for case in DEMO_CASES]


def _play(
    sessions: sessionmaker[Session],
    extensions: ProcessExtensions,
    case: DemoCase,
    today: date,
    payloads: _Payloads,
    people: dict[str, int],
    branch_id: int,
) -> int:
    steps = case.steps(today, payloads)
    walking = FrozenClock(_morning(steps[0][2]))
    with sessions() as session:
        service = InstanceService(session, clock=walking, extensions=extensions)
        instance_id = service.start(PROCESS_KEY, branch_id, actor_id=people["secretary"]).id
    for element_id, username, day, data in steps:
        walking.set(_morning(day))
        fire_due_timers(sessions, walking, extensions)
        submission = {**data, "step_date": day}
        if element_id == "application":
            submission |= {"applicant_id": people[case.applicant], "birth_date": date.fromisoformat(case.birth_date)}
        with sessions() as session:
            task_id = session.scalar(
                select(UserTask.id).where(
                    UserTask.instance_id == instance_id, UserTask.element_id == element_id, UserTask.status == TaskStatus.OPEN
                )
            )
            service = InstanceService(session, clock=walking, extensions=extensions)
            service.complete_task(str(task_id), _jsonable(submission), actor_id=people[username])
    walking.set(_morning(today))
    fire_due_timers(sessions, walking, extensions)
    return instance_id


class _Payloads:
    def __init__(self, people: dict[str, int], sessions: sessionmaker[Session]):
        self.people, self.sessions = people, sessions

    def ids(self, *usernames: str) -> list[int]:
        return [self.people[name] for name in usernames]

    def publicity_end(self, start: date) -> date:
        """The first day after a 5-working-day publicity window starting on `start`."""
        with self.sessions() as session:
            return WorkCalendar(session, allow_provisional=True).add_working_days(start, 5).value + timedelta(days=1)

    def vote(self) -> dict[str, Any]:
        return {
            "present_ids": self.ids("drafter", "secretary", "reviewer", "member1"),
            "written_yes_ids": self.ids("member2"),
            "yes": 4,
            "no": 0,
            "abstain": 0,
            "resolution_text": "同意接收为预备党员。",
        }


def _to_activist(start: date, p: _Payloads) -> list[Step]:
    return [
        ("application", "secretary", start, {"summary": "志愿加入中国共产党。"}),
        ("application_talk", "secretary", start + timedelta(days=10), {"talkers": "支部书记 王芳", "summary": "了解入党动机。"}),
        (
            "activist_selection",
            "secretary",
            add_months(start, 1),
            {"recommended_by": "mass_organization", "outcome": "agree", "minutes": "团支部推优，支委会同意。"},
        ),
        ("activist_filing", "committee", add_months(start, 1) + timedelta(days=5), {}),
        ("appoint_contacts", "secretary", add_months(start, 1) + timedelta(days=6), {"contact_ids": p.ids("member1", "member2")}),
        ("activist_assessment", "secretary", add_months(start, 7), {"summary": "表现良好。", "outcome": "continue"}),
    ]


def _to_pre_review(start: date, p: _Payloads) -> list[Step]:
    candidate_on = add_months(start, 13) + timedelta(days=2)
    publicity_start = candidate_on + timedelta(days=1)
    closed_on = p.publicity_end(publicity_start)
    return _to_activist(start, p) + [
        ("activist_assessment", "secretary", add_months(start, 13), {"summary": "具备发展对象条件。", "outcome": "propose"}),
        ("candidate_selection", "secretary", candidate_on, {"views_heard": True, "outcome": "agree", "minutes": "支委会同意。"}),
        (
            "candidate_publicity",
            "secretary",
            closed_on,
            {"publicity_start": publicity_start, "channel": "支部公示栏", "has_objection": False},
        ),
        ("candidate_filing", "committee", closed_on + timedelta(days=1), {}),
        ("sponsors", "secretary", closed_on + timedelta(days=2), {"sponsor_ids": p.ids("member1", "member2")}),
        (
            "political_review",
            "secretary",
            closed_on + timedelta(days=20),
            {"methods": ["talk", "files"], "conclusion": "政治审查合格。", "outcome": "pass"},
        ),
        ("training", "committee", closed_on + timedelta(days=30), {"training_days": 3, "training_hours": 24}),
        ("branch_committee_review", "secretary", closed_on + timedelta(days=34), {"opinion": "同意。", "outcome": "agree"}),
    ]


def _to_conversion(start: date, p: _Payloads) -> list[Step]:
    steps = _to_pre_review(start, p)
    reviewed_on = steps[-1][2]
    meeting_on = reviewed_on + timedelta(days=25)
    return steps + [
        ("pre_review", "committee", reviewed_on + timedelta(days=15), {"opinion": "预审合格。", "outcome": "pass"}),
        ("application_form", "secretary", reviewed_on + timedelta(days=18), {}),
        ("admission_meeting", "secretary", meeting_on, p.vote()),
        ("committee_talk", "committee", meeting_on + timedelta(days=7), {}),
        ("committee_approval", "committee", meeting_on + timedelta(days=14), {"outcome": "approve", "opinion": "同意。"}),
        ("approval_filing", "committee", meeting_on + timedelta(days=15), {}),
        ("assign_branch", "secretary", meeting_on + timedelta(days=16), {}),
        ("oath", "secretary", meeting_on + timedelta(days=20), {}),
        ("conversion_application", "secretary", add_months(meeting_on, 12) - timedelta(days=25), {}),
    ]


def _talk_pending(today: date, p: _Payloads) -> list[Step]:
    return _to_activist(today - timedelta(days=20), p)[:1]


def _candidate_eligible(today: date, p: _Payloads) -> list[Step]:
    start = add_months(today, -14)
    return _to_activist(start, p) + [
        ("activist_assessment", "secretary", add_months(start, 13), {"summary": "具备发展对象条件。", "outcome": "propose"}),
    ]


def _pre_review_overdue(today: date, p: _Payloads) -> list[Step]:
    """The branch committee reviewed the candidate about 40 days ago; 预审 is a month late or so."""
    return _to_pre_review(add_months(today - timedelta(days=85), -13), p)


def _conversion_due(today: date, p: _Payloads) -> list[Step]:
    """Admitted by the branch meeting almost a year ago: probation ends in about three weeks."""
    return _to_conversion(add_months(today, -25) - timedelta(days=50), p)


DEMO_CASES = (
    DemoCase("applicant1", "2003-09-12", _talk_pending),
    DemoCase("applicant2", "2001-04-20", _candidate_eligible),
    DemoCase("applicant4", "1998-11-02", _pre_review_overdue),
    DemoCase("applicant3", "1996-06-18", _conversion_due),
)


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(10)) - CHINA_UTC_OFFSET


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in data.items()}
