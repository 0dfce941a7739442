"""Published disclosures (党务公开): the record a disclosure review leaves, who may read it, and
the opinions members and the public leave during its feedback window."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import Clock
from engine.errors import InvalidCommand, NotFound
from engine.models import (
    Disclosure,
    DisclosureOpinion,
    DisclosureScope,
    DisclosureStatus,
    Organization,
    Person,
    RoleAssignment,
)
from engine.people.organizations import organization_subtree
from engine.procedures.service_calls import ServiceCall
from processes.disclosure_review.opinion_safeguards import typed_name


def publish(call: ServiceCall) -> dict[str, Any]:
    """实施: publish the approved plan on its scope; a re-publication after review updates the record."""
    data = call.task_data
    record = call.session.scalars(select(Disclosure).where(Disclosure.instance_id == call.instance.id)).first()
    if record is None:
        record = Disclosure(instance_id=call.instance.id, organization_id=call.instance.organization_id)
        call.session.add(record)
    record.title = data["title"]
    record.content = data["content"]
    record.scope = DisclosureScope(data["scope"])
    record.methods = list(data.get("methods") or [])
    record.feedback_days = int(data.get("feedback_days") or 5)
    record.status = DisclosureStatus.PUBLISHED
    record.published_at = call.clock.now()
    record.published_by_id = call.actor_id
    call.session.flush()
    return {"disclosure_id": record.id, "published_at": record.published_at.isoformat()}


def take_down(call: ServiceCall) -> dict[str, Any]:
    record = _record_of(call)
    record.status = DisclosureStatus.UNDER_REVIEW
    return {"disclosure_id": record.id, "status": record.status.value}


def archive(call: ServiceCall) -> dict[str, Any]:
    """归档: the disclosure stays readable; its feedback window is closed."""
    record = _record_of(call)
    record.status = DisclosureStatus.ARCHIVED
    record.archived_at = call.clock.now()
    return {"disclosure_id": record.id, "status": record.status.value}


def readable_disclosures(session: Session, person_id: int | None) -> Select[Disclosure]:
    """What a reader may see: public disclosures to everyone, the rest by scope and membership."""
    visible = Disclosure.status.in_([DisclosureStatus.PUBLISHED, DisclosureStatus.ARCHIVED])
    public = Disclosure.scope == DisclosureScope.SOCIETY
    if person_id is None:
        return select(Disclosure).where(visible, public)
    held = set(session.scalars(select(RoleAssignment.organization_id).where(RoleAssignment.person_id == person_id)))
    if not held:
        return select(Disclosure).where(visible, public)
    units = _units_of(session, held)
    by_scope = or_(
        public,
        Disclosure.scope == DisclosureScope.WHOLE_PARTY,
        (Disclosure.scope == DisclosureScope.LOCAL) & Disclosure.organization_id.in_(units),
        (Disclosure.scope == DisclosureScope.SPECIFIC) & Disclosure.organization_id.in_(held),
    )
    return select(Disclosure).where(visible, by_scope)


def leave_opinion(
    session: Session,
    clock: Clock,
    disclosure: Disclosure,
    content: str,
    is_objection: bool,
    author_id: int | None = None,
    author_name: str | None = None,
) -> DisclosureOpinion:
    """Record an opinion or objection while the disclosure is open for feedback, with its audit
    event (which names the author only when signed in); the caller commits. A signed-in author's
    name is their account's; `author_name` is only a member of the public's own, unverified."""
    if disclosure.status != DisclosureStatus.PUBLISHED:
        raise InvalidCommand("该公开事项的意见反馈期已结束 (the feedback window of this disclosure is closed)")
    # A signed-in author is their account, whatever name was typed.
    author = None if author_id is None else session.get(Person, author_id)
    author_name = author.display_name if author is not None else typed_name(author_name)
    opinion = DisclosureOpinion(
        disclosure_id=disclosure.id,
        author_id=author_id,
        author_name=author_name,
        content=content,
        is_objection=is_objection,
        created_at=clock.now(),
    )
    session.add(opinion)
    session.flush()
    append_event(
        session,
        clock,
        "disclosure.opinion_left",
        actor_id=author_id,
        organization_id=disclosure.organization_id,
        instance_id=disclosure.instance_id,
        after={"opinion_id": opinion.id, "is_objection": opinion.is_objection},
    )
    return opinion


def _record_of(call: ServiceCall) -> Disclosure:
    record = call.session.scalars(select(Disclosure).where(Disclosure.instance_id == call.instance.id)).first()
    if record is None:
        raise NotFound("该流程尚未发布公开事项 (nothing was published by this process)")
    return record


def _units_of(session: Session, organization_ids: set[int]) -> set[int]:
    """A unit is everything under the same top committee: 本单位 for a 'local' disclosure."""
    roots = set()
    for organization_id in organization_ids:
        organization = session.get(Organization, organization_id)
        if organization is not None:
            ancestors = organization.ancestors()
            roots.add(ancestors[-1].id if ancestors else organization.id)
    return {unit for root in roots for unit in organization_subtree(session, root)}
