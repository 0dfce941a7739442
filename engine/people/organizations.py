"""Building the organisation tree and granting roles, with the tree's rules enforced and audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import SYSTEM_CLOCK, Clock
from engine.errors import Conflict, InvalidCommand, NotFound, SubmissionRejected
from engine.models import ALLOWED_PARENT_KINDS, Organization, OrganizationKind, Person, Role, RoleAssignment
from engine.text_safety import bidi_control_problem

KIND_TITLES_ZH = {
    OrganizationKind.PARTY_COMMITTEE: "党委",
    OrganizationKind.GENERAL_BRANCH: "党总支",
    OrganizationKind.BRANCH: "党支部",
    OrganizationKind.GROUP: "党小组",
}


def create_organization(
    session: Session,
    name: str,
    kind: OrganizationKind,
    parent_id: int | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    actor_id: int | None = None,
) -> Organization:
    """Add an organisation under its parent; the caller commits."""
    _refuse_bidi_controls(name=name)
    parent = _parent(session, parent_id)
    if parent is not None and parent.kind not in ALLOWED_PARENT_KINDS[kind]:
        raise InvalidCommand(
            f"{KIND_TITLES_ZH[kind]}不能设在{KIND_TITLES_ZH[parent.kind]}之下 (a {kind.value} cannot sit under a {parent.kind.value})"
        )
    if parent is None and kind != OrganizationKind.PARTY_COMMITTEE:
        raise InvalidCommand(f"{KIND_TITLES_ZH[kind]}必须有上级组织 (a {kind.value} needs a parent organisation)")
    organization = Organization(name=name, kind=kind, parent_id=parent_id, created_at=clock.now())
    session.add(organization)
    session.flush()
    append_event(
        session,
        clock,
        "organization.created",
        actor_id=actor_id,
        organization_id=organization.id,
        after={"name": name, "kind": kind.value, "parent_id": parent_id},
    )
    return organization


def create_person(
    session: Session, username: str, display_name: str, *, clock: Clock = SYSTEM_CLOCK, actor_id: int | None = None
) -> Person:
    _refuse_bidi_controls(username=username, display_name=display_name)
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise Conflict(f"用户名已存在 (username {username!r} is taken)")
    person = Person(username=username, display_name=display_name, created_at=clock.now())
    session.add(person)
    session.flush()
    append_event(session, clock, "person.created", actor_id=actor_id, after={"person_id": person.id, "username": username})
    return person


def _refuse_bidi_controls(**names: str) -> None:
    problems = {field: [problem] for field, text in names.items() if (problem := bidi_control_problem(text)) is not None}
    if problems:
        raise SubmissionRejected(problems)


def grant_role(
    session: Session,
    person_id: int,
    organization_id: int,
    role: Role,
    *,
    clock: Clock = SYSTEM_CLOCK,
    actor_id: int | None = None,
) -> RoleAssignment:
    if session.get(Person, person_id) is None:
        raise NotFound(f"人员不存在 (person {person_id} not found)")
    if session.get(Organization, organization_id) is None:
        raise NotFound(f"组织不存在 (organization {organization_id} not found)")
    existing = session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.organization_id == organization_id,
            RoleAssignment.role == role,
        )
    ).first()
    if existing is not None:
        return existing
    assignment = RoleAssignment(person_id=person_id, organization_id=organization_id, role=role)
    session.add(assignment)
    session.flush()
    append_event(
        session,
        clock,
        "role.granted",
        actor_id=actor_id,
        organization_id=organization_id,
        after={"person_id": person_id, "role": role.value},
    )
    return assignment


def roles_of(session: Session, person_id: int) -> list[RoleAssignment]:
    return list(session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == person_id)))


def organization_subtree(session: Session, organization_id: int) -> set[int]:
    """The organisation and every organisation below it."""
    found, frontier = {organization_id}, {organization_id}
    while frontier:
        frontier = set(session.scalars(select(Organization.id).where(Organization.parent_id.in_(frontier)))) - found
        found |= frontier
    return found


def people_of(session: Session, organization_id: int) -> list[tuple[int, str]]:
    """Everyone holding a role in the organisation or one below it (its 党小组), by name: whom a
    meeting record or an appointment of that organisation names."""
    units = organization_subtree(session, organization_id)
    rows = session.execute(
        select(Person.id, Person.display_name)
        .where(Person.id.in_(select(RoleAssignment.person_id).where(RoleAssignment.organization_id.in_(units))))
        .order_by(Person.display_name, Person.id)
    )
    return [(person_id, name) for person_id, name in rows]


def _parent(session: Session, parent_id: int | None) -> Organization | None:
    if parent_id is None:
        return None
    parent = session.get(Organization, parent_id)
    if parent is None:
        raise NotFound(f"上级组织不存在 (parent organization {parent_id} not found)")
    return parent
