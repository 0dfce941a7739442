"""The 转正 decisions (confirm, extend, cancel) act only on someone still a probationary member: a
probationary member struck off (除名) while the development case is open must not become a full member."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from engine.models import MembershipStatus, PartyStanding
from engine.procedures.service_calls import ServiceCall, ServiceHandler
from engine.procedures.step_guards import StepRefused
from processes import EXTENSIONS
from processes.member_development.steps import cancel_probation, confirm_full_membership, extend_probation

DECISIONS = [confirm_full_membership, extend_probation, cancel_probation]


def decide(handler: ServiceHandler, session, clock, person_id: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    call = ServiceCall(
        session=session,
        clock=clock,
        instance=SimpleNamespace(subject_person_id=person_id),  # type: ignore[arg-type]
        actor_id=None,
        params={},
        task_data={"extension_months": 6},
        start_process=None,  # type: ignore[arg-type]
        rule_sets=EXTENSIONS.rule_sets,
    )
    return handler(call)


def on_probation(session, clock, person_id: int, status: MembershipStatus) -> None:  # type: ignore[no-untyped-def]
    session.add(
        PartyStanding(
            person_id=person_id,
            status=status,
            probation_started_on=date(2025, 6, 30),
            probation_ends_on=date(2026, 6, 30),
            updated_at=clock.now(),
        )
    )
    session.flush()


@pytest.mark.parametrize("handler", DECISIONS)
@pytest.mark.parametrize(
    "status",
    [MembershipStatus.STRUCK_OFF, MembershipStatus.ADVISED_TO_LEAVE, MembershipStatus.PROBATION_CANCELLED, MembershipStatus.FULL],
)
def test_no_decision_for_someone_no_longer_on_probation(session, clock, people, handler, status):
    person_id = people["member1"].id
    on_probation(session, clock, person_id, status)
    with pytest.raises(StepRefused) as refused:
        decide(handler, session, clock, person_id)
    assert refused.value.message == "此人不是预备党员 (not a probationary member)"
    standing = session.get(PartyStanding, person_id)
    assert (standing.status, standing.probation_ends_on, standing.full_since) == (status, date(2026, 6, 30), None)


def test_a_probationary_member_is_confirmed_from_the_end_of_probation(session, clock, people):
    person_id = people["member1"].id
    on_probation(session, clock, person_id, MembershipStatus.PROBATIONARY)
    assert decide(confirm_full_membership, session, clock, person_id) == {"status": "full", "full_since": date(2026, 6, 30)}
