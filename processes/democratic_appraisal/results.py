"""评定结果: who reads which member's grade, and from when.

The grades are the answers of the 支委会's 组织评定 (the latest one, when the 党委 returned them for
regrading). Those whose role needs them — personnel roles over the branch (its secretary, the 党委's
members, process owners), auditors and administrators — read all of them once given. A member reads
only their own grade, and only once it is final: the 党委 approved it (or it needed no approval) and
the process told them (结果告知).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import Notification, Person, ProcessInstance, TaskStatus, UserTask
from engine.people.permissions import Actor, may_follow_cases, may_see_instance_summary
from processes.democratic_appraisal.ballot import GRADE_TITLES
from processes.democratic_appraisal.steps import PROCESS_KEY

GRADING_STEP = "committee_grading"
RESULT_NOTICE = "appraisal_result"  # the kind of notification steps.notify_results leaves


@dataclass(frozen=True)
class AppraisalGrade:
    person_id: int
    name: str
    grade: str
    title: str
    final: bool


def appraisal_of(session: Session, actor: Actor, instance_id: int) -> ProcessInstance:
    """A 民主评议 the actor takes part in or follows; for anyone else it does not exist."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or instance.process_key != PROCESS_KEY or not _may_ask(session, actor, instance):
        raise NotFound(f"民主评议不存在 (no democratic appraisal {instance_id})")
    return instance


def grades_seen_by(session: Session, actor: Actor, instance: ProcessInstance) -> list[AppraisalGrade]:
    """Every grade for those whose role needs them; for a member, their own once final."""
    graded = _latest_grades(session, instance.id)
    told = set(
        session.scalars(select(Notification.person_id).where(Notification.instance_id == instance.id, Notification.kind == RESULT_NOTICE))
    )
    if not may_follow_cases(session, actor, instance.organization_id):
        graded = {person: grade for person, grade in graded.items() if person == actor.id and person in told}
    names = {person: name for person, name in session.execute(select(Person.id, Person.display_name).where(Person.id.in_(graded)))}
    return [
        AppraisalGrade(person, names.get(person, ""), grade, GRADE_TITLES.get(grade, grade), person in told)
        for person, grade in sorted(graded.items())
    ]


def _may_ask(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    return may_follow_cases(session, actor, instance.organization_id) or may_see_instance_summary(session, actor, instance)


def _latest_grades(session: Session, instance_id: int) -> dict[int, str]:
    grading = session.scalars(
        select(UserTask)
        .where(UserTask.instance_id == instance_id, UserTask.element_id == GRADING_STEP, UserTask.status == TaskStatus.COMPLETED)
        .order_by(UserTask.completed_at.desc(), UserTask.id.desc())
        .limit(1)
    ).first()
    entries = (grading.completion_data or {}).get("grades", []) if grading is not None else []
    grades: dict[int, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        person, _, grade = str(entry).partition(":")
        if person.isdigit():
            grades[int(person)] = grade
    return grades
