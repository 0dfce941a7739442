"""The 支部大会 vote as a step guard (`party.branch_vote`): quorum and majority computed from the
meeting record against the branch's members with a vote on the day, for every process that holds one
(接收预备党员, 预备党员转正, 组织处置)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import MembershipStatus, PartyStanding, Role, RoleAssignment
from engine.party.branch_meeting import Ballot, ExcludedMember, Exclusion, Tally, VoteInvalid, decide
from engine.procedures.extensions import ProcessExtensions
from engine.procedures.step_guards import StepContext, StepRefused

# The form field to point at for each part of a meeting record that can be wrong.
VOTE_FIELDS = {
    "tally": "yes",
    "present": "present_ids",
    "excluded": "excluded_ids",
    "exclusions_agreed": "exclusions_agreed",
    "written": "written_yes_ids",
    "members": "present_ids",
}


def branch_voters(session: Session, organization_id: int, on: date) -> set[int]:
    """Full members of the branch with a vote on that day (not under 留党察看)."""
    rows = session.execute(
        select(PartyStanding.person_id, PartyStanding.on_probation_discipline_until)
        .join(RoleAssignment, RoleAssignment.person_id == PartyStanding.person_id)
        .where(
            RoleAssignment.organization_id == organization_id,
            RoleAssignment.role == Role.MEMBER,
            PartyStanding.status == MembershipStatus.FULL,
        )
    )
    return {person_id for person_id, disciplined_until in rows if disciplined_until is None or disciplined_until < on}


def check_branch_vote(context: StepContext) -> None:
    """Steps 15 and 23: quorum and majority computed from the meeting record, never typed in."""
    submission = context.submission
    voters = branch_voters(context.session, context.instance.organization_id, context.step_date)
    excluded_ids = list(submission.get("excluded_ids") or [])
    reasons = list(submission.get("exclusion_reasons") or [])
    if len(reasons) != len(excluded_ids):
        raise StepRefused("exclusion_reasons", "每位不计入应到会人数的党员都须注明原因 (give one reason per excluded member)")
    agreed = bool(submission.get("exclusions_agreed")) and bool(submission.get("exclusions_decided"))
    excluded = [ExcludedMember(pid, Exclusion(reason), agreed, agreed) for pid, reason in zip(excluded_ids, reasons, strict=True)]
    written_lists = [(ballot, list(submission.get(f"written_{ballot.value}_ids") or [])) for ballot in Ballot]
    written = {pid: ballot for ballot, ids in written_lists for pid in ids}
    if len(written) != sum(len(ids) for _, ids in written_lists):
        raise StepRefused("written_yes_ids", "同一党员只能提交一份书面意见 (one written opinion per member)")
    tally = Tally(submission["yes"], submission["no"], submission["abstain"])
    try:
        (result,) = decide(sorted(voters), excluded, list(submission.get("present_ids") or []), written, {0: tally})
    except VoteInvalid as invalid:
        raise StepRefused(VOTE_FIELDS[invalid.part], invalid.message) from None
    context.outputs["vote"] = {
        "should_attend": result.should_attend,
        "present": result.present,
        "yes_votes": result.yes_votes,
        "quorate": result.quorate,
        "carried": result.carried,
        "explanation": result.explanation,
    }


PARTY_EXTENSIONS = ProcessExtensions.of(
    step_guards={"party.branch_vote": check_branch_vote},
    former_guard_names={"branch_vote": "party.branch_vote"},
)
