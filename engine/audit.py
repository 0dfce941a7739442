"""Append-only, hash-chained audit events, anchored outside the database, and the check that
nobody altered them.

Each event's hash is an HMAC, keyed with the audit key (a secret the database does not hold), of
its own fields and the previous event's hash. Appends lock the single chain-head row, so concurrent
transactions queue up instead of forking the chain; the lock is held only until the appending
transaction commits. After each commit that appended events, a checkpoint signed with the same key
names the new head in a file outside the database (engine/audit_checkpoints.py).

Events written before the chain was keyed (migration 0014) keep their plain SHA-256 hashes: the
chain head's `keyed_from_seq` names the first keyed event, whose HMAC covers the last plain hash,
and every checkpoint repeats it. Verification reports those earlier events as not anchored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.audit_checkpoints import AuditAnchor, Checkpoint, append_checkpoint, read_checkpoints
from engine.clock import Clock
from engine.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1
ANCHOR_INFO = "wf_audit_anchor"  # where a session finds the audit key and checkpoint file
_PENDING_CHECKPOINT = "wf_audit_pending_checkpoint"
_log = logging.getLogger(__name__)

# Built once: building a statement on every append costs more than running it.
_HEAD = AuditChainHead.__table__
_LOCK_HEAD = select(_HEAD.c.last_seq, _HEAD.c.last_hash, _HEAD.c.keyed_from_seq).where(_HEAD.c.id == CHAIN_HEAD_ID).with_for_update()
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == CHAIN_HEAD_ID)
_INSERT_EVENTS = insert(AuditEvent.__table__)


class ChainProblem(StrEnum):
    ALTERED = "altered"  # an event edited, deleted, inserted or out of place
    HEAD_MISMATCH = "head_mismatch"  # the newest events deleted, or the chain head edited
    TRUNCATED = "truncated"  # fewer events than the latest checkpoint names
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # the chain was rebuilt: it no longer passes through a checkpoint
    CHECKPOINT_MISSING = "checkpoint_missing"  # keyed events, but no checkpoint outside the database
    CHECKPOINT_INVALID = "checkpoint_invalid"  # a line of the checkpoint file is not signed with the audit key


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    events: int  # events verified before the first problem
    first_bad_seq: int | None
    problem: ChainProblem | None = None
    unanchored_events: int = 0  # written before the key: intact since then, unprovable before
    checkpoint: Checkpoint | None = None  # the latest checkpoint compared with


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


def anchor_sessions(sessions: sessionmaker[Session], anchor: AuditAnchor) -> sessionmaker[Session]:
    """Give every session of `sessions` the audit key, and checkpoint each commit that appended events."""
    sessions.configure(info={ANCHOR_INFO: anchor})
    event.listen(sessions, "after_commit", _write_pending_checkpoint)
    event.listen(sessions, "after_soft_rollback", _drop_pending_checkpoint)
    return sessions


def session_anchor(session: Session) -> AuditAnchor:
    anchor = session.info.get(ANCHOR_INFO)
    if not isinstance(anchor, AuditAnchor):
        raise RuntimeError("审计密钥未配置：会话须由 anchor_sessions 创建 (no audit key: sessions come from anchor_sessions)")
    return anchor


def append_events(session: Session, clock: Clock, entries: Sequence[AuditEntry]) -> None:
    """Chain and insert the entries; locks the chain head until the caller's transaction ends."""
    if not entries:
        return
    key = session_anchor(session).key
    connection = session.connection()
    seq, prev_hash, keyed_from_seq = connection.execute(_LOCK_HEAD).one()
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
        row["hash"] = prev_hash = fields_hash(row, key)
        rows.append(row)
    connection.execute(_INSERT_EVENTS, rows)  # Core: the ORM bulk path costs more than the rows
    connection.execute(_MOVE_HEAD, {"last_seq": seq, "last_hash": prev_hash})
    session.info[_PENDING_CHECKPOINT] = (seq, prev_hash, keyed_from_seq, clock)


def append_event(session: Session, clock: Clock, event_type: str, **values: Any) -> None:
    append_events(session, clock, [AuditEntry(event_type, **values)])


def event_hash(event: AuditEvent, key: bytes) -> str:
    return fields_hash({name: getattr(event, name) for name in HASHED_FIELDS}, key)


def fields_hash(fields: Mapping[str, Any], key: bytes) -> str:
    """HMAC-SHA256 with the audit key over the canonical event, whose fields include prev_hash."""
    return hmac.new(key, _canonical(fields), hashlib.sha256).hexdigest()


def unkeyed_hash(fields: Mapping[str, Any]) -> str:
    """The hash of the events written before the chain was keyed: anyone can compute it."""
    return hashlib.sha256(_canonical(fields)).hexdigest()


def verify_chain(session: Session, batch_size: int = 1000) -> ChainVerification:
    """Recompute every hash in order, then compare with the chain head and the checkpoints kept
    outside the database: the chain must pass through every checkpoint and reach the latest. Name
    the first event that is altered, missing or out of place."""
    anchor = session_anchor(session)
    head = session.get(AuditChainHead, CHAIN_HEAD_ID)
    keyed_from_seq = head.keyed_from_seq if head is not None else 1
    checkpoints = read_checkpoints(anchor)
    checkpoint = checkpoints.latest
    if checkpoints.keyed_from - {keyed_from_seq}:  # events declared older than the key than they are
        first_bad = min(checkpoints.keyed_from | {keyed_from_seq})
        return _broken(0, first_bad, ChainProblem.CHECKPOINT_MISMATCH, keyed_from_seq, checkpoint)
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch_size))
    try:
        for audit_event in events:
            if (
                audit_event.seq != expected_seq
                or audit_event.prev_hash != expected_prev
                or _stored_hash_is_wrong(audit_event, anchor.key, keyed_from_seq)
            ):
                first_bad = min(audit_event.seq, expected_seq)
                return _broken(count, first_bad, ChainProblem.ALTERED, keyed_from_seq, checkpoint)
            if checkpoints.hashes.get(audit_event.seq, {audit_event.hash}) != {audit_event.hash}:
                # Intact by its own hashes, yet not the chain that was checkpointed: rebuilt, e.g.
                # cut off and grown again past its old end, or an older backup restored.
                return _broken(count, audit_event.seq, ChainProblem.CHECKPOINT_MISMATCH, keyed_from_seq, checkpoint)
            expected_prev, expected_seq, count = audit_event.hash, expected_seq + 1, count + 1
    finally:
        events.close()  # a server-side cursor on PostgreSQL when we stop early
    if head is None or head.last_seq != count or head.last_hash != expected_prev:
        # The newest events were deleted (or the head was edited): the gap starts right after ours.
        return _broken(count, expected_seq, ChainProblem.HEAD_MISMATCH, keyed_from_seq, checkpoint)
    if checkpoints.first_invalid_line is not None:
        return _broken(count, None, ChainProblem.CHECKPOINT_INVALID, keyed_from_seq, checkpoint)
    if checkpoint is None:
        if count >= keyed_from_seq:  # keyed events were committed, so a checkpoint was written
            return _broken(count, None, ChainProblem.CHECKPOINT_MISSING, keyed_from_seq, checkpoint)
    elif count < checkpoint.last_seq:
        return _broken(count, count + 1, ChainProblem.TRUNCATED, keyed_from_seq, checkpoint)
    return ChainVerification(
        ok=True,
        events=count,
        first_bad_seq=None,
        unanchored_events=min(count, keyed_from_seq - 1),
        checkpoint=checkpoint,
    )


def altered_events(session: Session, events: Sequence[AuditEvent]) -> set[int]:
    """The seqs among `events` (e.g. one instance's) whose row was edited, or whose predecessor in
    the chain was edited or deleted: each is checked against its own hash and its predecessor's."""
    key = session_anchor(session).key
    head = session.get(AuditChainHead, CHAIN_HEAD_ID)
    keyed_from_seq = head.keyed_from_seq if head is not None else 1
    wanted = {event.seq - 1 for event in events if event.seq > 1}
    rows = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(wanted))).all() if wanted else []
    stored = {seq: stored_hash for seq, stored_hash in rows}
    altered = set()
    for audit_event in events:
        expected_prev = GENESIS_HASH if audit_event.seq == 1 else stored.get(audit_event.seq - 1)
        if audit_event.prev_hash != expected_prev or _stored_hash_is_wrong(audit_event, key, keyed_from_seq):
            altered.add(audit_event.seq)
    return altered


def _stored_hash_is_wrong(audit_event: AuditEvent, key: bytes, keyed_from_seq: int) -> bool:
    fields = {name: getattr(audit_event, name) for name in HASHED_FIELDS}
    expected = fields_hash(fields, key) if audit_event.seq >= keyed_from_seq else unkeyed_hash(fields)
    return not hmac.compare_digest(expected, audit_event.hash)


def _broken(
    count: int, first_bad_seq: int | None, problem: ChainProblem, keyed_from_seq: int, checkpoint: Checkpoint | None
) -> ChainVerification:
    return ChainVerification(
        ok=False,
        events=count,
        first_bad_seq=first_bad_seq,
        problem=problem,
        unanchored_events=min(count, keyed_from_seq - 1),
        checkpoint=checkpoint,
    )


def _write_pending_checkpoint(session: Session) -> None:
    pending = session.info.pop(_PENDING_CHECKPOINT, None)
    if pending is None:
        return
    last_seq, last_hash, keyed_from_seq, clock = pending
    checkpoint = Checkpoint(last_seq=last_seq, last_hash=last_hash, keyed_from_seq=keyed_from_seq, written_at=clock.now())
    anchor = session_anchor(session)
    try:
        append_checkpoint(anchor, checkpoint)
    except OSError as error:
        # The events are committed; failing the request now would not undo them. Until a later
        # commit writes a checkpoint, a deletion of these newest events goes unnoticed.
        _log.error("审计检查点未能写入 %s (audit checkpoint not written): %s", anchor.checkpoint_path, error.strerror)


def _drop_pending_checkpoint(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_PENDING_CHECKPOINT, None)


def _canonical(fields: Mapping[str, Any]) -> bytes:
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["occurred_at"] = _timestamp(payload["occurred_at"])
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _timestamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def jsonable(value: Any) -> Any:
    """Audit values are stored as JSON; normalise them now so the hash sees what the database keeps."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
