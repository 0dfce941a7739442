"""Who may start a process by hand, and where: a rule a process package declares for its process.

    StartRule.of(roles=[Role.DRAFTER, Role.BRANCH_SECRETARY], organization_kinds=[OrganizationKind.BRANCH])

A person may start the process in an organisation of one of `organization_kinds` when they hold one
of `roles` in that organisation or in one above it (a 党委委员 starts a case in a branch of their
committee). Starts the engine makes itself (a timer start event, a service task opening a
follow-up case) are decided by the process, not by a person, and follow no such rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.models import ROLE_TITLES_ZH, OrganizationKind, Role
from engine.people.organizations import KIND_TITLES_ZH


@dataclass(frozen=True)
class StartRule:
    roles: frozenset[Role]
    organization_kinds: frozenset[OrganizationKind]

    @classmethod
    def of(cls, *, roles: Iterable[Role], organization_kinds: Iterable[OrganizationKind]) -> StartRule:
        rule = cls(frozenset(roles), frozenset(organization_kinds))
        if not rule.roles or not rule.organization_kinds:
            raise ValueError("a start rule names at least one role and one kind of organisation")
        return rule

    def role_titles(self) -> str:
        """The roles in Chinese, in the order the roles are listed, e.g. 党务干事、支部书记."""
        return "、".join(ROLE_TITLES_ZH[role] for role in Role if role in self.roles)

    def role_codes(self) -> str:
        return ", ".join(role.value for role in Role if role in self.roles)

    def kind_titles(self) -> str:
        return "、".join(KIND_TITLES_ZH[kind] for kind in OrganizationKind if kind in self.organization_kinds)

    def kind_codes(self) -> str:
        return ", ".join(kind.value for kind in OrganizationKind if kind in self.organization_kinds)
