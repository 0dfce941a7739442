"""民主测评: the anonymous ballot of a democratic appraisal.

A ballot is opened by the process (`appraisal.open_ballot`) with a zero counter for every appraised
member and grade; each voter's grades only increment counters, and a receipt records that the
voter has voted. Nothing written here — rows, audit events, log lines — says who gave which grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import Clock
from engine.errors import Conflict, NotFound, SubmissionRejected
from engine.models import AppraisalBallot, AppraisalTally, BallotReceipt, BallotStatus
from engine.people.permissions import Actor, may_oversee

GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")
GRADE_TITLES = {"excellent": "优秀", "qualified": "合格", "basically_qualified": "基本合格", "unqualified": "不合格"}
_GRADE_LIST = "、".join(f"{GRADE_TITLES[g]} {g}" for g in GRADES)
_TALLIES = AppraisalTally.__table__


@dataclass(frozen=True)
class BallotView:
    """What anyone allowed to see the ballot may know: never a tally while it is open."""

    instance_id: int
    status: str
    appraised_ids: list[int]
    voters: int
    ballots_cast: int
    has_voted: bool
    may_vote: bool


def open_ballot(
    session: Session, instance_id: int, organization_id: int, appraised: list[int], voters: list[int], now: datetime
) -> AppraisalBallot:
    ballot = session.get(AppraisalBallot, instance_id)
    if ballot is None:
        ballot = AppraisalBallot(
            instance_id=instance_id,
            organization_id=organization_id,
            status=BallotStatus.OPEN,
            appraised_ids=appraised,
            voter_ids=voters,
            opened_at=now,
        )
        session.add(ballot)
        session.add_all(AppraisalTally(instance_id=instance_id, appraised_id=p, grade=g, votes=0) for p in appraised for g in GRADES)
    return ballot


def ballot_of(session: Session, instance_id: int, *, lock: bool = False) -> AppraisalBallot:
    statement = select(AppraisalBallot).where(AppraisalBallot.instance_id == instance_id)
    ballot = session.scalars(statement.with_for_update() if lock else statement).one_or_none()
    if ballot is None:
        raise NotFound(f"该流程没有民主测评 (no ballot for process instance {instance_id})")
    return ballot


def visible_ballot(session: Session, actor: Actor, instance_id: int) -> AppraisalBallot:
    """Members of the branch and those who oversee it see a ballot; for anyone else it does not exist."""
    try:
        ballot = ballot_of(session, instance_id)
    except NotFound:
        ballot = None
    if ballot is None or (ballot.organization_id not in actor.organizations() and not may_oversee(session, actor, ballot.organization_id)):
        raise NotFound(f"民主测评不存在 (no ballot for instance {instance_id})")
    return ballot


def cast_ballot(session: Session, clock: Clock, instance_id: int, voter_id: int, grades: Mapping[str, str]) -> int:
    """Count one voter's grades; returns how many have voted. The caller commits."""
    ballot = ballot_of(session, instance_id, lock=True)
    if ballot.status != BallotStatus.OPEN:
        raise Conflict("民主测评已经结束，不能再投票 (the ballot is closed)")
    if voter_id not in ballot.voter_ids:
        raise Conflict("您不是本次民主测评的投票人 (you have no vote in this ballot)")
    if has_voted(session, instance_id, voter_id):
        raise Conflict("您已经投过票，每人只能投一次 (you have already voted; one ballot each)")
    counted = _checked_grades(ballot, grades)
    session.add(BallotReceipt(instance_id=instance_id, voter_id=voter_id))
    for appraised_id, grade in counted:
        session.execute(
            update(_TALLIES)
            .where(_TALLIES.c.instance_id == instance_id, _TALLIES.c.appraised_id == appraised_id, _TALLIES.c.grade == grade)
            .values(votes=_TALLIES.c.votes + 1)
        )
    session.flush()
    append_event(
        session, clock, "appraisal.ballot_cast", actor_id=voter_id, organization_id=ballot.organization_id, instance_id=instance_id
    )
    return ballots_cast(session, instance_id)


def cast_ballot_and_commit(session: Session, clock: Clock, instance_id: int, voter_id: int, grades: Mapping[str, str]) -> int:
    """One transaction: a second ballot from the same voter racing the first fails on its receipt's
    key and is answered as the Conflict it is; nothing of a refused ballot stays."""
    try:
        cast = cast_ballot(session, clock, instance_id, voter_id, grades)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("您已经投过票，每人只能投一次 (you have already voted; one ballot each)") from None
    except BaseException:
        session.rollback()
        raise
    return cast


def close_ballot(session: Session, instance_id: int, now: datetime) -> dict[str, dict[str, int]]:
    """Close the ballot and read its totals: {appraised id: {grade: votes}}."""
    ballot = ballot_of(session, instance_id, lock=True)
    ballot.status, ballot.closed_at = BallotStatus.CLOSED, now
    totals: dict[str, dict[str, int]] = {str(p): dict.fromkeys(GRADES, 0) for p in ballot.appraised_ids}
    for row in session.scalars(select(AppraisalTally).where(AppraisalTally.instance_id == instance_id)):
        totals.setdefault(str(row.appraised_id), dict.fromkeys(GRADES, 0))[row.grade] = row.votes
    return totals


def ballots_cast(session: Session, instance_id: int) -> int:
    return session.scalar(select(func.count()).select_from(BallotReceipt).where(BallotReceipt.instance_id == instance_id)) or 0


def has_voted(session: Session, instance_id: int, voter_id: int) -> bool:
    return session.get(BallotReceipt, (instance_id, voter_id)) is not None


def ballots_awaiting(session: Session, actor: Actor) -> list[AppraisalBallot]:
    """The open ballots of the actor's branches in which the actor has a vote not yet cast."""
    organizations = actor.organizations()
    if not organizations:
        return []
    open_ones = session.scalars(
        select(AppraisalBallot)
        .where(AppraisalBallot.status == BallotStatus.OPEN, AppraisalBallot.organization_id.in_(organizations))
        .order_by(AppraisalBallot.opened_at)
    )
    return [b for b in open_ones if actor.id in b.voter_ids and not has_voted(session, b.instance_id, actor.id)]


def view_ballot(session: Session, ballot: AppraisalBallot, person_id: int) -> BallotView:
    voted = has_voted(session, ballot.instance_id, person_id)
    return BallotView(
        instance_id=ballot.instance_id,
        status=ballot.status.value,
        appraised_ids=list(ballot.appraised_ids),
        voters=len(ballot.voter_ids),
        ballots_cast=ballots_cast(session, ballot.instance_id),
        has_voted=voted,
        may_vote=ballot.status == BallotStatus.OPEN and person_id in ballot.voter_ids and not voted,
    )


def _checked_grades(ballot: AppraisalBallot, grades: Mapping[str, str]) -> list[tuple[int, str]]:
    appraised = set(ballot.appraised_ids)
    problems: list[str] = []
    counted: list[tuple[int, str]] = []
    for key, grade in grades.items():
        person_id = int(key) if key.isdigit() and len(key) <= 9 else None
        if person_id not in appraised:
            problems.append(f"{key[:20]} 不是本次评议的党员 ({key[:20]} is not appraised in this ballot)")
        elif grade not in GRADES:
            problems.append(f"等次只能是{_GRADE_LIST}之一 (a grade is one of {', '.join(GRADES)})")
        else:
            counted.append((person_id, grade))
    if not grades:
        problems.append("请至少评定一名党员 (grade at least one member)")
    if problems:
        raise SubmissionRejected({"grades": sorted(set(problems))})
    return counted
