"""民主测评: the anonymous ballot of a democratic appraisal.

A ballot is opened by the process (`appraisal.open_ballot`) with a zero counter for every appraised
member and grade. A voter's ballot is written in transactions of its own that share nothing: first
the receipt (that the voter has voted; no grade, no time), then the grades sealed under the app's
key, filed under a random token (no voter, no time). Once at least ten sealed ballots wait, five
picked at random are opened and added to the counters in a third transaction; the rest are added
when the ballot closes. So every change of a counter covers at least five ballots, and nothing
written here — rows, their history in the database's files, audit events, log lines — says who gave
which grade. docs/BALLOT_PRIVACY.md gives the reasons and what an administrator can still learn.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import Clock
from engine.errors import Conflict, NotFound, SubmissionRejected
from engine.models import AppraisalBallot, AppraisalTally, BallotReceipt, BallotStatus, SealedBallot
from engine.people.permissions import Actor, may_oversee
from engine.sealing import SealBroken, Sealer

GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")
GRADE_TITLES = {"excellent": "优秀", "qualified": "合格", "basically_qualified": "基本合格", "unqualified": "不合格"}
_GRADE_LIST = "、".join(f"{GRADE_TITLES[g]} {g}" for g in GRADES)
_TALLIES = AppraisalTally.__table__
_BALLOTS = AppraisalBallot.__table__
BATCH = 5  # ballots opened together: each change of a counter covers at least this many
WAITING_FOR_A_BATCH = 2 * BATCH  # so a batch is a random half of those waiting, not simply the latest
_ALREADY_VOTED = "您已经投过票，每人只能投一次 (you have already voted; one ballot each)"
_CLOSED = "民主测评已经结束，不能再投票 (the ballot is closed)"
_log = logging.getLogger(__name__)


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
    if lock:  # and read afresh: a batch may have counted ballots since this session last looked
        statement = statement.with_for_update().execution_options(populate_existing=True)
    ballot = session.scalars(statement).one_or_none()
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


def cast_ballot(session: Session, sealer: Sealer, clock: Clock, instance_id: int, voter_id: int, grades: Mapping[str, str]) -> int:
    """Record one voter's ballot; returns how many have voted. Commits the session itself, several
    times: call it with nothing of the caller's own left to commit.

    The receipt is committed first and alone, then the sealed grades. If the second step fails the
    receipt is withdrawn, so the voter may vote again; only a crash between the two commits leaves a
    receipt without a ballot, which the close reports as a receipt not counted. The other order would
    let a crash give a voter a second ballot, which nobody could ever take out of the count."""
    ballot = ballot_of(session, instance_id)
    if ballot.status != BallotStatus.OPEN:
        raise Conflict(_CLOSED)
    if voter_id not in ballot.voter_ids:
        raise Conflict("您不是本次民主测评的投票人 (you have no vote in this ballot)")
    if has_voted(session, instance_id, voter_id):
        raise Conflict(_ALREADY_VOTED)
    sealed = sealer.seal(_encoded(ballot, _checked_grades(ballot, grades)), _seal_context(instance_id))
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("cast_ballot commits by itself: the caller's changes would join the receipt")
    session.commit()  # ends the caller's reads: the receipt's transaction holds the receipt only
    _file_receipt(session, instance_id, voter_id)
    _deposit_or_withdraw(session, instance_id, voter_id, sealed)
    _count_a_batch_if_due(session, sealer, clock, instance_id)
    return ballots_cast(session, instance_id)


def _file_receipt(session: Session, instance_id: int, voter_id: int) -> None:
    """A second ballot from the same voter racing the first fails on the receipt's key."""
    try:
        session.add(BallotReceipt(instance_id=instance_id, voter_id=voter_id))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(_ALREADY_VOTED) from None
    except BaseException:
        session.rollback()
        raise


def _deposit_or_withdraw(session: Session, instance_id: int, voter_id: int, sealed: bytes) -> None:
    try:
        if not _lock_open_ballot(session, instance_id):
            raise Conflict(_CLOSED)  # closed since the receipt was filed: this ballot cannot count
        session.add(SealedBallot(instance_id=instance_id, token=secrets.token_hex(16), sealed=sealed))
        session.commit()
    except BaseException:
        session.rollback()
        session.execute(delete(BallotReceipt).where(BallotReceipt.instance_id == instance_id, BallotReceipt.voter_id == voter_id))
        session.commit()
        raise


def _count_a_batch_if_due(session: Session, sealer: Sealer, clock: Clock, instance_id: int) -> None:
    """With enough sealed ballots waiting, open a random batch and add it to the counters. A failure
    here loses nothing: the ballots stay sealed until a later batch or the close."""
    try:
        if not _lock_open_ballot(session, instance_id):
            session.rollback()
            return
        waiting = list(session.scalars(select(SealedBallot).where(SealedBallot.instance_id == instance_id)))
        if len(waiting) < WAITING_FOR_A_BATCH:
            session.rollback()
            return
        ballot = ballot_of(session, instance_id)
        _count(session, sealer, ballot, secrets.SystemRandom().sample(waiting, BATCH))
        where = {"organization_id": ballot.organization_id, "instance_id": instance_id}
        append_event(session, clock, "appraisal.ballots_counted", **where, after={"ballots": BATCH})
        session.commit()
    except (SealBroken, SQLAlchemyError) as error:
        session.rollback()
        _log.error("民主测评 %s: a batch of sealed ballots was not counted now (%s); they wait for the close", instance_id, error)


def _lock_open_ballot(session: Session, instance_id: int) -> bool:
    """Take the ballot's row (and SQLite's write lock) if it is still open; False once it closed."""
    locked = session.execute(
        update(_BALLOTS)
        .where(_BALLOTS.c.instance_id == instance_id, _BALLOTS.c.status == BallotStatus.OPEN.value)
        .values(status=BallotStatus.OPEN.value)
    )
    return bool(locked.rowcount)  # type: ignore[attr-defined]


def _count(session: Session, sealer: Sealer, ballot: AppraisalBallot, sealed_ballots: Sequence[SealedBallot]) -> None:
    """Open the ballots, add them to the counters all at once and drop them."""
    votes: Counter[tuple[int, str]] = Counter()
    for sealed_ballot in sealed_ballots:
        votes.update(_decoded(ballot, sealer.open(sealed_ballot.sealed, _seal_context(ballot.instance_id))))
    for (appraised_id, grade), added in sorted(votes.items()):
        session.execute(
            update(_TALLIES)
            .where(_TALLIES.c.instance_id == ballot.instance_id, _TALLIES.c.appraised_id == appraised_id, _TALLIES.c.grade == grade)
            .values(votes=_TALLIES.c.votes + added)
        )
    tokens = [sealed_ballot.token for sealed_ballot in sealed_ballots]
    session.execute(delete(SealedBallot).where(SealedBallot.instance_id == ballot.instance_id, SealedBallot.token.in_(tokens)))
    session.execute(
        update(_BALLOTS)
        .where(_BALLOTS.c.instance_id == ballot.instance_id)
        .values(ballots_counted=_BALLOTS.c.ballots_counted + len(sealed_ballots))
    )
    session.expire(ballot)


def close_ballot(session: Session, sealer: Sealer, clock: Clock, instance_id: int, actor_id: int | None) -> dict[str, dict[str, int]]:
    """Close the ballot, count the ballots still sealed and read the totals: {appraised id: {grade: votes}}."""
    ballot = ballot_of(session, instance_id, lock=True)
    ballot.status, ballot.closed_at = BallotStatus.CLOSED, clock.now()
    session.flush()  # the ballot's row, and on SQLite the write lock, before reading what waits
    waiting = list(session.scalars(select(SealedBallot).where(SealedBallot.instance_id == instance_id)))
    where = {"organization_id": ballot.organization_id, "instance_id": instance_id}
    if waiting:
        _count(session, sealer, ballot, waiting)
        append_event(session, clock, "appraisal.ballots_counted", **where, after={"ballots": len(waiting)})
    counted, receipts = ballot.ballots_counted, ballots_cast(session, instance_id)
    if receipts != counted:
        _log.warning("民主测评 %s closed with %d receipts but %d ballots counted", instance_id, receipts, counted)
    append_event(
        session,
        clock,
        "appraisal.ballot_closed",
        actor_id=actor_id,
        **where,
        after={"ballots_counted": counted, "receipts": receipts, "counted_at_close": len(waiting)},
    )
    totals: dict[str, dict[str, int]] = {str(p): dict.fromkeys(GRADES, 0) for p in ballot.appraised_ids}
    for row in session.scalars(select(AppraisalTally).where(AppraisalTally.instance_id == instance_id)):
        totals.setdefault(str(row.appraised_id), dict.fromkeys(GRADES, 0))[row.grade] = row.votes
    return totals


def ballots_cast(session: Session, instance_id: int) -> int:
    return session.scalar(select(func.count()).select_from(BallotReceipt).where(BallotReceipt.instance_id == instance_id)) or 0


def has_voted(session: Session, instance_id: int, voter_id: int) -> bool:
    """Asked of the database, not the session: a receipt withdrawn after a failure may linger there."""
    receipt = select(BallotReceipt.voter_id).where(BallotReceipt.instance_id == instance_id, BallotReceipt.voter_id == voter_id)
    return session.scalar(receipt) is not None


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


def _seal_context(instance_id: int) -> str:
    return f"appraisal-ballot:{instance_id}"


def _encoded(ballot: AppraisalBallot, counted: list[tuple[int, str]]) -> bytes:
    """One byte per appraised member, in the ballot's order: 0 not graded, else 1 + the grade's
    index. Every ballot of an appraisal has the same length, so its ciphertext's length says nothing."""
    chosen = dict(counted)
    return bytes(GRADES.index(chosen[p]) + 1 if p in chosen else 0 for p in ballot.appraised_ids)


def _decoded(ballot: AppraisalBallot, plaintext: bytes) -> list[tuple[int, str]]:
    if len(plaintext) != len(ballot.appraised_ids) or any(code > len(GRADES) for code in plaintext):
        raise SealBroken(f"民主测评 {ballot.instance_id} 的一张密封选票内容不符 (a sealed ballot does not fit its appraisal)")
    return [(p, GRADES[code - 1]) for p, code in zip(ballot.appraised_ids, plaintext, strict=True) if code]


def _checked_grades(ballot: AppraisalBallot, grades: Mapping[str, str]) -> list[tuple[int, str]]:
    appraised = set(ballot.appraised_ids)
    problems: list[str] = []
    counted: list[tuple[int, str]] = []
    for key, grade in grades.items():
        person_id = int(key) if key.isdigit() and len(key) <= 9 else None
        if person_id in {p for p, _ in counted}:
            problems.append(f"党员 {person_id} 被评定了两次 (member {person_id} is graded twice)")
        elif person_id not in appraised:
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
