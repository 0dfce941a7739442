"""Who may start which process where, by hand: the one place the API and the pages ask.

A process whose package declares a `StartRule` is started only by the roles it names, held in the
organisation or above it, and only in the kinds of organisation it names (民主评议 in a 党支部, not in
a 党小组 where nobody holds the role of its first task). A process no package declares (one a
process owner deployed from a file) keeps the general rule: any role that is not read-only, in the
organisation or above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.models import Organization
from engine.people.organizations import KIND_TITLES_ZH, organization_subtree
from engine.people.permissions import Actor, may_start_in
from engine.procedures.start_rules import StartRule


def start_refusal(
    session: Session, actor: Actor, process_key: str, process_name: str, organization_id: int, rules: Mapping[str, StartRule]
) -> Forbidden | None:
    """Why the actor may not start the process in the organisation, or None when they may."""
    organization = session.get(Organization, organization_id)
    rule = rules.get(process_key)
    if organization is None or rule is None:
        if organization is not None and may_start_in(session, actor, organization_id):
            return None
        return Forbidden("无权在该组织发起流程 (you hold no role in that organisation)")
    if organization.kind not in rule.organization_kinds:
        return Forbidden(
            f"{process_name}只能在{rule.kind_titles()}发起，{organization.name}是{KIND_TITLES_ZH[organization.kind]} "
            f"({process_key} is started only in a {rule.kind_codes()}; {organization.name} is a {organization.kind.value})"
        )
    if not _holds_rule_role(actor, rule, _organization_and_ancestors(organization)):
        return Forbidden(
            f"只有{organization.name}或其上级组织的{rule.role_titles()}可以发起{process_name} "
            f"(only a {rule.role_codes()} of {organization.name} or above may start {process_key})"
        )
    return None


def may_start(session: Session, actor: Actor, process_key: str, organization_id: int, rules: Mapping[str, StartRule]) -> bool:
    return start_refusal(session, actor, process_key, process_key, organization_id, rules) is None


def startable_places(
    session: Session, actor: Actor, process_keys: Iterable[str], rules: Mapping[str, StartRule]
) -> dict[str, list[Organization]]:
    """For each process the actor may start somewhere, the organisations where they may, by id;
    processes they may start nowhere are left out."""
    reachable = {unit for organization_id, _ in actor.roles for unit in organization_subtree(session, organization_id)}
    organizations = list(session.scalars(select(Organization).where(Organization.id.in_(reachable)).order_by(Organization.id)))
    places: dict[str, list[Organization]] = {}
    for key in process_keys:
        allowed = [organization for organization in organizations if may_start(session, actor, key, organization.id, rules)]
        if allowed:
            places[key] = allowed
    return places


def _holds_rule_role(actor: Actor, rule: StartRule, scope: set[int]) -> bool:
    return any(organization_id in scope and role in rule.roles for organization_id, role in actor.roles)


def _organization_and_ancestors(organization: Organization) -> set[int]:
    return {organization.id, *(above.id for above in organization.ancestors())}
