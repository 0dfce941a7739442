"""Who may act on what, decided from the roles people hold in organisations.

A task is offered to a role in an organisation, and a person is a candidate when they hold that role
there; a task assigned to one person (by the process or by a claim) is theirs alone. Acting on a task
and reading its instance are separate: a participant whose part is their own task reads a summary of
the case and their own answers; overseers of the organisation, auditors and administrators read all
of it. The organisation-scoped policy for every resource lives here (one module deciding
person × action × resource).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import Organization, Person, ProcessInstance, Role, RoleAssignment, TaskStatus, UserTask


@dataclass(frozen=True)
class Actor:
    """A person together with the (organisation, role) pairs they hold."""

    person: Person
    roles: frozenset[tuple[int, str]]

    @property
    def id(self) -> int:
        return self.person.id

    def holds(self, role: Role | str, organization_id: int | None = None) -> bool:
        wanted = str(role)
        return any(r == wanted and (organization_id is None or o == organization_id) for o, r in self.roles)

    def organizations(self) -> set[int]:
        return {organization_id for organization_id, _ in self.roles}


def load_actor(session: Session, person: Person) -> Actor:
    rows = session.execute(select(RoleAssignment.organization_id, RoleAssignment.role).where(RoleAssignment.person_id == person.id))
    return Actor(person=person, roles=frozenset((org, str(role)) for org, role in rows))


def is_candidate(actor: Actor, task: UserTask) -> bool:
    """Offered to the actor: by the task's candidate role, or by its escalation once overdue."""
    offered = [(task.candidate_role, task.candidate_organization_id), (task.escalated_role, task.escalated_organization_id)]
    return any(role and organization and actor.holds(role, organization) for role, organization in offered)


def may_act_on_task(actor: Actor, task: UserTask) -> bool:
    """Claim, complete or delegate: the assignee, or when unassigned, a candidate. An assigned task
    (a 个人自评 the process gave one member, or one a colleague claimed) is for its assignee only."""
    if task.assignee_id is not None:
        return task.assignee_id == actor.id
    return is_candidate(actor, task)


def may_delegate_to(session: Session, task: UserTask, person: Person | None) -> bool:
    """A task is handed only to someone it is offered to: delegation stays within its candidates."""
    return person is not None and is_candidate(load_actor(session, person), task)


def candidates_of(session: Session, task: UserTask) -> list[Person]:
    """Everyone the task is offered to (by its role, or by its escalation once overdue), by name."""
    offered = [(task.candidate_role, task.candidate_organization_id), (task.escalated_role, task.escalated_organization_id)]
    conditions = [
        and_(RoleAssignment.role == role, RoleAssignment.organization_id == organization)
        for role, organization in offered
        if role and organization
    ]
    if not conditions:
        return []
    holders = select(RoleAssignment.person_id).where(or_(*conditions))
    return list(session.scalars(select(Person).where(Person.id.in_(holders)).order_by(Person.display_name, Person.id)))


def may_see_task(actor: Actor, task: UserTask) -> bool:
    """The task and its answers: its assignee, whoever completed it, a candidate while it is open and
    unclaimed, auditors and administrators. Candidates do not read a task assigned to someone else,
    nor what a colleague answered."""
    return (
        actor.id in (task.assignee_id, task.completed_by_id)
        or (task.status == TaskStatus.OPEN and task.assignee_id is None and is_candidate(actor, task))
        or actor.holds(Role.AUDITOR)
        or actor.holds(Role.ADMIN)
    )


READ_ONLY_ROLES = frozenset({Role.AUDITOR.value})


def may_start_in(session: Session, actor: Actor, organization_id: int) -> bool:
    """The general rule for a process no package gives a start rule (engine/people/start_rights.py):
    anyone holding a role in the organisation or one of its ancestors may start it there, except
    through a read-only role: an auditor reads history but changes nothing."""
    scope = _organization_and_ancestors(session, organization_id)
    return any(org in scope and role not in READ_ONLY_ROLES for org, role in actor.roles)


def may_oversee(session: Session, actor: Actor, organization_id: int) -> bool:
    """Office holders (any role but plain member) see all work of their organisation and below."""
    scope = _organization_and_ancestors(session, organization_id)
    return any(org in scope and role != Role.MEMBER for org, role in actor.roles)


def _organization_and_ancestors(session: Session, organization_id: int) -> set[int]:
    organization = session.get(Organization, organization_id)
    if organization is None:
        return set()
    return {organization.id, *(a.id for a in organization.ancestors())}


def may_deploy(actor: Actor) -> bool:
    return actor.holds(Role.PROCESS_OWNER) or actor.holds(Role.ADMIN)


def may_change_calendar(actor: Actor) -> bool:
    """Working days decide every deadline: only administrators set them."""
    return actor.holds(Role.ADMIN)


def may_read_audit(actor: Actor) -> bool:
    return actor.holds(Role.AUDITOR) or actor.holds(Role.ADMIN)


# Roles whose work needs members' personal records, within their organisation and below.
PERSONNEL_ROLES = frozenset({Role.BRANCH_SECRETARY.value, Role.COMMITTEE_MEMBER.value, Role.PROCESS_OWNER.value})


def may_follow_cases(session: Session, actor: Actor, organization_id: int) -> bool:
    """The pipeline of people's cases (names, stages, deadlines): personnel roles over their
    organisation and below, auditors and administrators."""
    scope = _organization_and_ancestors(session, organization_id)
    allowed = PERSONNEL_ROLES | {Role.AUDITOR.value, Role.ADMIN.value}
    return any(org in scope and role in allowed for org, role in actor.roles)


def may_choose_rule_sets(session: Session, actor: Actor, organization_id: int) -> bool:
    """Which regulation version new cases follow: process owners and administrators above or at the unit."""
    scope = _organization_and_ancestors(session, organization_id)
    return any(org in scope and role in (Role.PROCESS_OWNER.value, Role.ADMIN.value) for org, role in actor.roles)


def may_read_person(session: Session, actor: Actor, person_id: int, organization_ids: list[int]) -> bool:
    if person_id == actor.id or actor.holds(Role.AUDITOR) or actor.holds(Role.ADMIN):
        return True
    for organization_id in organization_ids:
        scope = _organization_and_ancestors(session, organization_id)
        if any(org in scope and role in PERSONNEL_ROLES for org, role in actor.roles):
            return True
    return False


def may_read_instance(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    """The whole case (every task's answers, its history, its records): office holders overseeing
    its organisation (or a superior one), auditors and administrators. Starting a case gives no more
    than the starter's role does."""
    return actor.holds(Role.AUDITOR) or actor.holds(Role.ADMIN) or may_oversee(session, actor, instance.organization_id)


def may_see_instance_summary(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    """What the case is and where it stands, with one's own tasks: its starter and everyone with a
    task of it to see, besides those who read it whole."""
    if instance.started_by_id == actor.id or may_read_instance(session, actor, instance):
        return True
    tasks = session.scalars(select(UserTask).where(UserTask.instance_id == instance.id))
    return any(may_see_task(actor, task) for task in tasks)


def may_manage_instance(actor: Actor, instance: ProcessInstance) -> bool:
    """Cancel, suspend, resume: whoever started it, the branch's secretary, an administrator."""
    return instance.started_by_id == actor.id or actor.holds(Role.ADMIN) or actor.holds(Role.BRANCH_SECRETARY, instance.organization_id)


def offered_to(actor: Actor) -> ColumnElement[bool]:
    """SQL for "offered to this actor": a candidate by role and organisation, or by escalation."""
    return or_(
        false(),
        *(and_(UserTask.candidate_organization_id == org, UserTask.candidate_role == role) for org, role in actor.roles),
        *(and_(UserTask.escalated_organization_id == org, UserTask.escalated_role == role) for org, role in actor.roles),
    )


def inbox_of(actor: Actor) -> ColumnElement[bool]:
    """Assigned to the actor, or offered to them and not yet claimed by anyone: `may_act_on_task` in SQL."""
    return or_(UserTask.assignee_id == actor.id, and_(UserTask.assignee_id.is_(None), offered_to(actor)))


def tasks_seen_by(actor: Actor) -> ColumnElement[bool]:
    """SQL for the tasks of `may_see_task` that are the actor's own work (auditors and administrators
    read the others by id)."""
    return or_(
        UserTask.assignee_id == actor.id,
        UserTask.completed_by_id == actor.id,
        and_(UserTask.status == TaskStatus.OPEN, UserTask.assignee_id.is_(None), offered_to(actor)),
    )


# Lookups for an actor: the same answer whether a row does not exist or is not theirs to see, so
# ids leak nothing.


def visible_task(session: Session, actor: Actor, task_id: str) -> UserTask:
    task = session.get(UserTask, task_id)
    if task is None or not may_see_task(actor, task):
        raise NotFound(f"任务不存在 (task {task_id} not found)")
    return task


def visible_instance(session: Session, actor: Actor, instance_id: int) -> ProcessInstance:
    """An instance the actor may at least see summarised (`may_read_instance` for the whole of it)."""
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not may_see_instance_summary(session, actor, instance):
        raise NotFound(f"流程实例不存在 (process instance {instance_id} not found)")
    return instance
