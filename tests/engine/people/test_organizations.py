"""The organisation tree only narrows: 党委 → 党总支 → 党支部 → 党小组."""

from __future__ import annotations

import pytest

from engine.audit import verify_chain
from engine.errors import Conflict, InvalidCommand, NotFound
from engine.models import AuditEvent, OrganizationKind, Role
from engine.people.organizations import create_organization, create_person, grant_role, roles_of


def test_a_full_tree_can_be_built_and_walked_upwards(session, clock):
    committee = create_organization(session, "机关党委", OrganizationKind.PARTY_COMMITTEE, clock=clock)
    general = create_organization(session, "机关党总支", OrganizationKind.GENERAL_BRANCH, committee.id, clock=clock)
    branch = create_organization(session, "第一党支部", OrganizationKind.BRANCH, general.id, clock=clock)
    group = create_organization(session, "第一党小组", OrganizationKind.GROUP, branch.id, clock=clock)
    session.commit()
    assert [o.name for o in group.ancestors()] == ["第一党支部", "机关党总支", "机关党委"]


@pytest.mark.parametrize(
    ("parent_kind", "child_kind"),
    [
        (OrganizationKind.BRANCH, OrganizationKind.PARTY_COMMITTEE),
        (OrganizationKind.BRANCH, OrganizationKind.BRANCH),
        (OrganizationKind.PARTY_COMMITTEE, OrganizationKind.GROUP),
        (OrganizationKind.GENERAL_BRANCH, OrganizationKind.GENERAL_BRANCH),
    ],
)
def test_the_tree_refuses_a_wider_kind_under_a_narrower_one(session, clock, parent_kind, child_kind):
    committee = create_organization(session, "党委", OrganizationKind.PARTY_COMMITTEE, clock=clock)
    parent = committee
    if parent_kind == OrganizationKind.BRANCH:
        parent = create_organization(session, "支部", OrganizationKind.BRANCH, committee.id, clock=clock)
    elif parent_kind == OrganizationKind.GENERAL_BRANCH:
        parent = create_organization(session, "总支", OrganizationKind.GENERAL_BRANCH, committee.id, clock=clock)
    with pytest.raises(InvalidCommand, match="不能设在"):
        create_organization(session, "错误", child_kind, parent.id, clock=clock)


def test_only_a_committee_may_be_a_root(session, clock):
    with pytest.raises(InvalidCommand, match="上级组织"):
        create_organization(session, "孤立支部", OrganizationKind.BRANCH, clock=clock)
    with pytest.raises(NotFound):
        create_organization(session, "支部", OrganizationKind.BRANCH, 4242, clock=clock)


def test_roles_are_granted_once_and_audited(session, clock):
    committee = create_organization(session, "党委", OrganizationKind.PARTY_COMMITTEE, clock=clock)
    branch = create_organization(session, "支部", OrganizationKind.BRANCH, committee.id, clock=clock)
    person = create_person(session, "secretary", "王书记", clock=clock)
    first = grant_role(session, person.id, branch.id, Role.BRANCH_SECRETARY, clock=clock)
    again = grant_role(session, person.id, branch.id, Role.BRANCH_SECRETARY, clock=clock)
    grant_role(session, person.id, committee.id, Role.COMMITTEE_MEMBER, clock=clock)
    session.commit()
    assert first.id == again.id
    assert {(r.organization_id, r.role) for r in roles_of(session, person.id)} == {
        (branch.id, Role.BRANCH_SECRETARY),
        (committee.id, Role.COMMITTEE_MEMBER),
    }
    assert session.query(AuditEvent).filter(AuditEvent.event_type == "role.granted").count() == 2
    assert verify_chain(session).ok
    with pytest.raises(Conflict):
        create_person(session, "secretary", "重名", clock=clock)
