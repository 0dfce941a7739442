"""A person starting a process: the package's start rule, a business key that is not a timer's,
and only the start data the process asks for (its start form), within a size cap."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.definitions.spec_cache import SpecCache
from engine.errors import DeploymentRefused, Forbidden, SubmissionRejected
from engine.instances.service import InstanceService
from engine.models import AuditEvent, OrganizationKind, ProcessInstance, Role
from engine.people.permissions import load_actor
from engine.procedures.extensions import NO_EXTENSIONS, ProcessExtensions
from engine.procedures.start_rules import StartRule
from engine.timers.delivery import fire_due_timers
from tests.helpers.deploying import deploy_fixture, read_fixture

SECRETARY_IN_A_BRANCH = StartRule.of(roles=[Role.BRANCH_SECRETARY, Role.COMMITTEE_MEMBER], organization_kinds=[OrganizationKind.BRANCH])
RULED = ProcessExtensions.of(start_rules={"annual_start": SECRETARY_IN_A_BRANCH})


def counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count(ProcessInstance.id))), session.scalar(select(func.count(AuditEvent.seq)))


@pytest.fixture
def ruled_service(session, clock) -> InstanceService:  # type: ignore[no-untyped-def]
    return InstanceService(session, clock=clock, specs=SpecCache(), extensions=RULED)


def test_a_declared_rule_decides_who_starts_and_where(session, clock, ruled_service, org_tree, people):
    deploy_fixture(session, clock, "annual_start.bpmn")
    before = counts(session)
    for username, organization in [("member1", org_tree.branch_a), ("drafter", org_tree.branch_a), ("secretary", org_tree.group_a1)]:
        with pytest.raises(Forbidden):
            ruled_service.start_by_hand("annual_start", organization.id, actor=load_actor(session, people[username]))
    assert counts(session) == before
    by_committee = ruled_service.start_by_hand("annual_start", org_tree.branch_b.id, actor=load_actor(session, people["committee"]))
    assert by_committee.organization_id == org_tree.branch_b.id


def test_the_refusals_name_the_roles_and_the_kind_of_organisation(session, clock, ruled_service, org_tree, people):
    deploy_fixture(session, clock, "annual_start.bpmn")
    with pytest.raises(Forbidden, match="支部书记、党委委员"):
        ruled_service.start_by_hand("annual_start", org_tree.branch_a.id, actor=load_actor(session, people["member1"]))
    with pytest.raises(Forbidden, match="只能在党支部发起，第一党小组是党小组"):
        ruled_service.start_by_hand("annual_start", org_tree.group_a1.id, actor=load_actor(session, people["secretary"]))


def test_a_process_no_package_rules_keeps_the_general_rule(session, clock, service, org_tree, people):
    deploy_fixture(session, clock, "annual_start.bpmn")
    started = service.start_by_hand("annual_start", org_tree.branch_a.id, actor=load_actor(session, people["member1"]))
    assert started.started_by_id == people["member1"].id
    with pytest.raises(Forbidden):
        service.start_by_hand("annual_start", org_tree.branch_b.id, actor=load_actor(session, people["member1"]))


@pytest.mark.parametrize("key", ["annual_start@2026-10-08", "Annual_Start@2027-01-01", "annual_start@"])
def test_a_timer_business_key_is_refused_by_hand(session, clock, service, org_tree, people, key):
    deploy_fixture(session, clock, "annual_start.bpmn")
    before = counts(session)
    with pytest.raises(SubmissionRejected) as refused:
        service.start_by_hand("annual_start", org_tree.branch_a.id, actor=load_actor(session, people["secretary"]), business_key=key)
    assert "business_key" in refused.value.errors
    assert counts(session) == before


def test_a_business_key_with_an_at_sign_that_names_no_process_is_fine(session, clock, service, org_tree, people):
    deploy_fixture(session, clock, "annual_start.bpmn")
    started = service.start_by_hand(
        "annual_start", org_tree.branch_a.id, actor=load_actor(session, people["secretary"]), business_key="支部@2026年度"
    )
    assert started.business_key == "支部@2026年度"


def test_a_cancelled_instance_under_the_timers_key_does_not_make_the_timer_skip(session, session_factory, clock, service, org_tree):
    deploy_fixture(session, clock, "annual_start.bpmn")
    squatter = service.start("annual_start", org_tree.branch_a.id, business_key="annual_start@2026-10-08")
    service.cancel(squatter.id, actor_id=None)
    clock.set(datetime(2026, 10, 8, 1, 0) + timedelta(seconds=1))
    assert [outcome for _, outcome in fire_due_timers(session_factory, clock, NO_EXTENSIONS)] == ["fired"]
    session.expire_all()
    started = session.scalars(
        select(ProcessInstance).where(ProcessInstance.id != squatter.id).order_by(ProcessInstance.organization_id)
    ).all()
    assert [(i.organization_id, i.business_key) for i in started] == [
        (org_tree.branch_a.id, "annual_start@2026-10-08"),
        (org_tree.branch_b.id, "annual_start@2026-10-08"),
    ]


def test_without_a_start_form_a_process_takes_no_start_variables(session, clock, service, org_tree, people):
    deploy_fixture(session, clock, "annual_start.bpmn")
    before = counts(session)
    with pytest.raises(SubmissionRejected) as refused:
        service.start_by_hand("annual_start", org_tree.branch_a.id, actor=load_actor(session, people["secretary"]), data={"approved": True})
    assert set(refused.value.errors) == {"approved"}
    assert counts(session) == before


def test_start_data_is_checked_and_typed_by_the_start_form(session, clock, service, org_tree, people):
    deploy_fixture(session, clock, "started_with_form.bpmn")
    actor = load_actor(session, people["secretary"])
    with pytest.raises(SubmissionRejected) as refused:
        service.start_by_hand("started_with_form", org_tree.branch_a.id, actor=actor, data={"subject": "x", "is_admin": True})
    assert "is_admin" in str(refused.value.errors)
    with pytest.raises(SubmissionRejected) as refused:
        service.start_by_hand("started_with_form", org_tree.branch_a.id, actor=actor, data={"meeting_on": "2026-03-05"})
    assert "subject" in refused.value.errors
    started = service.start_by_hand(
        "started_with_form", org_tree.branch_a.id, actor=actor, data={"subject": "年度评议", "meeting_on": "2026-03-05"}
    )
    (prepare,) = [task for task in service._restore(started).get_tasks() if task.task_spec.name == "prepare"]
    assert (prepare.data["subject"], prepare.data["meeting_on"]) == ("年度评议", date(2026, 3, 5))


def test_start_data_over_16_kib_is_refused(session, clock, service, org_tree, people):
    deploy_fixture(session, clock, "started_with_form.bpmn")
    before = counts(session)
    with pytest.raises(SubmissionRejected) as refused:
        service.start_by_hand(
            "started_with_form", org_tree.branch_a.id, actor=load_actor(session, people["secretary"]), data={"subject": "党" * 6000}
        )
    assert set(refused.value.errors) == {"data"}
    assert counts(session) == before


def test_a_start_form_that_is_missing_is_refused_at_deploy(session, clock):
    from engine.definitions.deployment import deploy

    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, {"started_with_form.bpmn": read_fixture("started_with_form.bpmn")}, clock=clock)
    assert [(p.code, p.element_id) for p in refused.value.problems] == [("missing_form", "start")]
