"""Append-only, hash-chained audit events, and the check that nobody altered them.

Each event's hash covers its own fields and the previous event's hash. Appends lock the single
chain-head row, so concurrent transactions queue up instead of forking the chain; the lock is
held only until the appending transaction commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1

# Built once: building a statement on every append costs more than running it.
_HEAD = AuditChainHead.__table__
_LOCK_HEAD = select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == CHAIN_HEAD_ID).with_for_update()
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == CHAIN_HEAD_ID)
_INSERT_EVENTS = insert(AuditEvent.__table__)


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    events: int
    first_bad_seq: int | None


@dataclass(frozen=True)
class AuditEntry:
    """One change to record: who did what, where, with the values before and after."""

    event_type: str
    actor_id: int | None = None
    organization_id: int | None = None
    instance_id: int | None = None
    task_id: str | None = None
    before: Any = None
    after: Any = None


HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "organization_id",
    "instance_id",
    "task_id",
    "event_type",
    "before",
    "after",
    "prev_hash",
)


def append_events(session: Session, clock: Clock, entries: Sequence[AuditEntry]) -> None:
    """Chain and insert the entries; locks the chain head until the caller's transaction ends."""
    if not entries:
        return
    connection = session.connection()
    seq, prev_hash = connection.execute(_LOCK_HEAD).one()
    occurred_at = clock.now()
    rows = []
    for entry in entries:
        seq += 1
        row = {
            "seq": seq,
            "occurred_at": occurred_at,
            "actor_id": entry.actor_id,
            "organization_id": entry.organization_id,
            "instance_id": entry.instance_id,
            "task_id": entry.task_id,
            "event_type": entry.event_type,
            "before": jsonable(entry.before),
            "after": jsonable(entry.after),
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = fields_hash(row)
        rows.append(row)
    connection.execute(_INSERT_EVENTS, rows)  # Core: the ORM bulk path costs more than the rows
    connection.execute(_MOVE_HEAD, {"last_seq": seq, "last_hash": prev_hash})


def append_event(session: Session, clock: Clock, event_type: str, **values: Any) -> None:
    append_events(session, clock, [AuditEntry(event_type, **values)])


def event_hash(event: AuditEvent) -> str:
    return fields_hash({name: getattr(event, name) for name in HASHED_FIELDS})


def fields_hash(fields: Mapping[str, Any]) -> str:
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["occurred_at"] = _timestamp(payload["occurred_at"])
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify_chain(session: Session, batch_size: int = 1000) -> ChainVerification:
    """Recompute every hash in order; name the first event that is altered, missing or out of place."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch_size))
    try:
        for event in events:
            if event.seq != expected_seq or event.prev_hash != expected_prev or event_hash(event) != event.hash:
                return ChainVerification(ok=False, events=count, first_bad_seq=min(event.seq, expected_seq))
            expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
    finally:
        events.close()  # a server-side cursor on PostgreSQL when we stop early
    head = session.get(AuditChainHead, CHAIN_HEAD_ID)
    if head is None or head.last_seq != count or head.last_hash != expected_prev:
        # The newest events were deleted (or the head was edited): the gap starts right after ours.
        return ChainVerification(ok=False, events=count, first_bad_seq=expected_seq)
    return ChainVerification(ok=True, events=count, first_bad_seq=None)


def altered_events(session: Session, events: Sequence[AuditEvent]) -> set[int]:
    """The seqs among `events` (e.g. one instance's) whose row was edited, or whose predecessor in
    the chain was edited or deleted: each is checked against its own hash and its predecessor's."""
    wanted = {event.seq - 1 for event in events if event.seq > 1}
    rows = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(wanted))).all() if wanted else []
    stored = {seq: stored_hash for seq, stored_hash in rows}
    altered = set()
    for event in events:
        expected_prev = GENESIS_HASH if event.seq == 1 else stored.get(event.seq - 1)
        if event.prev_hash != expected_prev or event_hash(event) != event.hash:
            altered.add(event.seq)
    return altered


def _timestamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def jsonable(value: Any) -> Any:
    """Audit values are stored as JSON; normalise them now so the hash sees what the database keeps."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
