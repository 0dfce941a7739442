"""A small organisation tree (党委 → two 党支部, one with a 党小组) and four people holding roles in
it, for tests that need people but not the whole demo organisation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from engine.clock import FrozenClock
from engine.models import Organization, OrganizationKind, Person, Role, RoleAssignment


@dataclass
class OrgTree:
    committee: Organization
    branch_a: Organization
    branch_b: Organization
    group_a1: Organization


@pytest.fixture
def org_tree(session: Session, clock: FrozenClock) -> OrgTree:
    now = clock.now()
    committee = Organization(name="机关党委", kind=OrganizationKind.PARTY_COMMITTEE, created_at=now)
    session.add(committee)
    session.flush()
    branch_a = Organization(name="第一党支部", kind=OrganizationKind.BRANCH, parent_id=committee.id, created_at=now)
    branch_b = Organization(name="第二党支部", kind=OrganizationKind.BRANCH, parent_id=committee.id, created_at=now)
    session.add_all([branch_a, branch_b])
    session.flush()
    group = Organization(name="第一党小组", kind=OrganizationKind.GROUP, parent_id=branch_a.id, created_at=now)
    session.add(group)
    session.commit()
    return OrgTree(committee, branch_a, branch_b, group)


@pytest.fixture
def people(session: Session, clock: FrozenClock, org_tree: OrgTree) -> dict[str, Person]:
    spec = {
        "drafter": (org_tree.branch_a, Role.DRAFTER),
        "secretary": (org_tree.branch_a, Role.BRANCH_SECRETARY),
        "committee": (org_tree.committee, Role.COMMITTEE_MEMBER),
        "member1": (org_tree.branch_a, Role.MEMBER),
    }
    result = {}
    for username, (organization, role) in spec.items():
        person = Person(username=username, display_name=username, created_at=clock.now())
        session.add(person)
        session.flush()
        session.add(RoleAssignment(person_id=person.id, organization_id=organization.id, role=role))
        result[username] = person
    session.commit()
    return result
