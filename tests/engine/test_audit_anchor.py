"""The audit chain anchored outside the database: someone who can write the database but does not
hold the audit key can neither cut off the newest events, nor edit one and re-hash the chain, nor
delete one and re-chain, nor append one of their own, without verification naming it."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from engine.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainProblem,
    anchor_sessions,
    append_event,
    fields_hash,
    unkeyed_hash,
    verify_chain,
)
from engine.audit_checkpoints import AuditAnchor, read_checkpoints
from engine.db import Base, make_engine, make_session_factory
from engine.models import AuditChainHead, AuditEvent
from engine.schema import alembic_config
from tests.helpers.deploying import deploy_fixture

Hasher = Callable[[dict[str, Any]], str]
ATTACKERS_KEY = b"a key the attacker guessed, not the audit key"


@pytest.fixture
def history(history, session):  # type: ignore[no-untyped-def]
    assert session.query(AuditEvent).count() == 8
    return history


def rechain(session: Session, hasher: Hasher, from_seq: int = 1) -> None:
    """What a database administrator without the key can do: recompute every link from `from_seq`
    on with a hash they can compute, and move the chain head to the new end."""
    session.expire_all()
    prev_hash = GENESIS_HASH
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        if event.seq >= from_seq:
            event.prev_hash = prev_hash
            event.hash = hasher({name: getattr(event, name) for name in HASHED_FIELDS})
        prev_hash = event.hash
        last_seq = event.seq
    session.execute(update(AuditChainHead).values(last_seq=last_seq, last_hash=prev_hash))
    session.commit()


def keyed_with(key: bytes) -> Hasher:
    return lambda fields: fields_hash(fields, key)


def test_the_untouched_chain_verifies_against_its_latest_checkpoint(session, history):
    result = verify_chain(session)

    assert (result.ok, result.problem, result.events, result.unanchored_events) == (True, None, 8, 0)
    assert result.checkpoint is not None and result.checkpoint.last_seq == 8
    assert result.checkpoint.last_hash == session.get(AuditEvent, 8).hash


def test_each_commit_that_appends_events_writes_a_checkpoint(session, history, audit_anchor):
    lines = audit_anchor.checkpoint_path.read_text().splitlines()
    assert len(lines) == 4  # deploy, start, claim, complete: one transaction each
    assert [json.loads(line)["last_seq"] for line in lines] == [1, 3, 4, 8]


def test_a_rolled_back_append_writes_no_checkpoint(session, history, clock, audit_anchor):
    before = audit_anchor.checkpoint_path.read_text()
    append_event(session, clock, "person.read", actor_id=1)
    session.rollback()

    assert audit_anchor.checkpoint_path.read_text() == before
    assert verify_chain(session).ok


def test_cutting_off_the_newest_events_and_moving_the_head_is_detected(session, history):
    session.execute(delete(AuditEvent).where(AuditEvent.seq >= 7))
    session.execute(update(AuditChainHead).values(last_seq=6, last_hash=session.get(AuditEvent, 6).hash))
    session.commit()

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq, result.events) == (False, ChainProblem.TRUNCATED, 7, 6)


def test_a_cut_off_tail_stays_detected_once_new_events_pass_the_old_end(session, history, clock):
    """New events, checkpointed as they come, must not cover up the cut: the chain no longer passes
    through the checkpoints written before it (the same holds for an older backup restored)."""
    session.execute(delete(AuditEvent).where(AuditEvent.seq >= 7))
    session.execute(update(AuditChainHead).values(last_seq=6, last_hash=session.get(AuditEvent, 6).hash))
    session.commit()
    for reader in range(3):  # seqs 7, 8 and 9, each committed and checkpointed
        append_event(session, clock, "person.read", actor_id=reader + 1)
        session.commit()

    result = verify_chain(session)  # 8 is the first event an earlier checkpoint named
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ChainProblem.CHECKPOINT_MISMATCH, 8)


def test_emptying_the_log_and_resetting_the_head_is_detected(session, history):
    session.execute(delete(AuditEvent))
    session.execute(update(AuditChainHead).values(last_seq=0, last_hash=GENESIS_HASH))
    session.commit()

    assert (verify_chain(session).problem, verify_chain(session).first_bad_seq) == (ChainProblem.TRUNCATED, 1)


def test_editing_an_event_and_rehashing_the_chain_without_the_key_is_detected(session, history):
    session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(after={"title": "伪造"}))
    rechain(session, unkeyed_hash, from_seq=4)  # the scheme before the key, which anyone can compute

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ChainProblem.ALTERED, 4)


def test_rehashing_with_a_guessed_key_is_detected(session, history):
    session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(after={"title": "伪造"}))
    rechain(session, keyed_with(ATTACKERS_KEY), from_seq=4)

    assert (verify_chain(session).problem, verify_chain(session).first_bad_seq) == (ChainProblem.ALTERED, 4)


def test_even_the_key_does_not_rewrite_what_a_checkpoint_names(session, history, audit_anchor):
    """Whoever holds the key but cannot write the checkpoint file still cannot rewrite event 3 (its
    commit was checkpointed) without verification naming it."""
    session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor_id=999))
    rechain(session, keyed_with(audit_anchor.key), from_seq=3)

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ChainProblem.CHECKPOINT_MISMATCH, 3)


def test_claiming_every_event_predates_the_key_is_detected(session, history):
    """Re-hash the whole chain the old way and move the head's boundary past its end, so every
    event reads as written before the key: the chain then agrees with itself, not with the checkpoint."""
    session.execute(update(AuditEvent).where(AuditEvent.seq == 4).values(after={"title": "伪造"}))
    rechain(session, unkeyed_hash)
    session.execute(update(AuditChainHead).values(keyed_from_seq=9))
    session.commit()

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ChainProblem.CHECKPOINT_MISMATCH, 1)


def test_deleting_an_event_and_rechaining_the_rest_is_detected(session, history):
    session.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    for seq in range(4, 9):  # close the gap: renumber the later events
        session.execute(update(AuditEvent).where(AuditEvent.seq == seq).values(seq=seq - 1))
    session.commit()
    rechain(session, unkeyed_hash, from_seq=3)

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ChainProblem.ALTERED, 3)


@pytest.mark.parametrize("hasher", [unkeyed_hash, keyed_with(ATTACKERS_KEY)], ids=["unkeyed", "guessed key"])
def test_appending_a_forged_event_is_detected(session, history, hasher):
    last = session.get(AuditEvent, 8)
    forged = {
        "seq": 9,
        "occurred_at": datetime(2026, 3, 2, 10, 0),
        "actor_id": None,
        "organization_id": None,
        "instance_id": history.id,
        "task_id": None,
        "event_type": "instance.cancelled",
        "before": None,
        "after": {"reason": "伪造"},
        "prev_hash": last.hash,
    }
    forged["hash"] = hasher(forged)
    session.execute(insert(AuditEvent).values(**forged))
    session.execute(update(AuditChainHead).values(last_seq=9, last_hash=forged["hash"]))
    session.commit()

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq, result.events) == (False, ChainProblem.ALTERED, 9, 8)


def test_a_checkpoint_line_not_signed_with_the_key_is_detected(session, history, audit_anchor):
    lines = audit_anchor.checkpoint_path.read_text().splitlines()
    raised = json.loads(lines[-1]) | {"last_seq": 50}
    audit_anchor.checkpoint_path.write_text("\n".join([*lines, json.dumps(raised)]) + "\n")

    result = verify_chain(session)
    assert (result.ok, result.problem) == (False, ChainProblem.CHECKPOINT_INVALID)
    assert read_checkpoints(audit_anchor).first_invalid_line == 5


def test_keyed_events_without_any_checkpoint_are_reported(session, history, audit_anchor):
    audit_anchor.checkpoint_path.unlink()

    assert (verify_chain(session).ok, verify_chain(session).problem) == (False, ChainProblem.CHECKPOINT_MISSING)


def test_checkpoints_written_out_of_order_compare_with_the_highest(session, history, audit_anchor):
    lines = audit_anchor.checkpoint_path.read_text().splitlines()
    audit_anchor.checkpoint_path.write_text("\n".join([lines[-1], *lines[:-1]]) + "\n")

    result = verify_chain(session)
    assert result.ok and result.checkpoint is not None and result.checkpoint.last_seq == 8


def test_the_checkpoint_file_is_readable_by_its_owner_only(history, audit_anchor):
    assert stat.S_IMODE(audit_anchor.checkpoint_path.stat().st_mode) == 0o600


def test_the_audit_key_is_neither_in_the_database_nor_the_logs_nor_the_checkpoints(
    session, service, clock, org_tree, people, audit_anchor, caplog
):
    caplog.set_level(logging.DEBUG)
    deploy_fixture(session, clock, "review_loop.bpmn")
    service.start("review_loop", org_tree.branch_a.id, data={"title": "审计"}, actor_id=people["drafter"].id)
    assert verify_chain(session).ok
    key = audit_anchor.key.decode()

    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)):
            assert key not in repr(tuple(row)), table.name
    assert key not in caplog.text
    assert key not in audit_anchor.checkpoint_path.read_text()
    assert key not in repr(audit_anchor)


def test_a_session_without_the_audit_key_appends_nothing(db_engine, session, clock):
    with make_session_factory(db_engine)() as unkeyed, pytest.raises(RuntimeError, match="审计密钥"):
        append_event(unkeyed, clock, "person.read", actor_id=1)


def test_events_written_before_the_key_are_reported_as_not_anchored(session, clock, audit_anchor):
    _write_unkeyed_events(session, 3)
    append_event(session, clock, "person.read", actor_id=1)  # the first keyed event covers the last plain hash
    session.commit()

    result = verify_chain(session)
    assert (result.ok, result.events, result.unanchored_events) == (True, 4, 3)
    assert result.checkpoint is not None and result.checkpoint.keyed_from_seq == 4


def test_rewriting_the_events_before_the_key_breaks_the_first_keyed_one(session, clock):
    _write_unkeyed_events(session, 3)
    append_event(session, clock, "person.read", actor_id=1)
    session.commit()
    session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(after={"forged": True}))
    session.commit()
    session.expire_all()
    prev_hash = GENESIS_HASH
    for event in session.scalars(select(AuditEvent).where(AuditEvent.seq <= 3).order_by(AuditEvent.seq)):
        event.prev_hash = prev_hash
        event.hash = prev_hash = unkeyed_hash({name: getattr(event, name) for name in HASHED_FIELDS})
    session.commit()

    result = verify_chain(session)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, ChainProblem.ALTERED, 4)


def test_the_migration_keys_the_chain_from_the_next_event(tmp_path: Path):
    database = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(database)
    with database.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
        connection.execute(text("UPDATE audit_chain_head SET last_seq = 5"))  # five events written unkeyed
        command.upgrade(config, "head")
        assert connection.execute(text("SELECT keyed_from_seq FROM audit_chain_head")).scalar_one() == 6
    database.dispose()


def test_sessions_of_several_processes_checkpoint_into_one_file(db_engine, session, clock, audit_anchor):
    """Processes (web, worker, daemon) each build their own sessions on the same key and file."""
    other = anchor_sessions(make_session_factory(db_engine), AuditAnchor(audit_anchor.key, audit_anchor.checkpoint_path))
    with other() as session_elsewhere:
        append_event(session_elsewhere, clock, "person.read", actor_id=1)
        session_elsewhere.commit()
    append_event(session, clock, "person.read", actor_id=2)
    session.commit()

    assert verify_chain(session).ok and read_checkpoints(audit_anchor).latest.last_seq == 2  # type: ignore[union-attr]


def _write_unkeyed_events(session: Session, count: int) -> None:
    """A chain written before the key existed, as migration 0014 finds it."""
    prev_hash = GENESIS_HASH
    for seq in range(1, count + 1):
        row: dict[str, Any] = {
            "seq": seq,
            "occurred_at": datetime(2026, 1, 5, 9, seq),
            "actor_id": None,
            "organization_id": None,
            "instance_id": None,
            "task_id": None,
            "event_type": "person.created",
            "before": None,
            "after": {"username": f"m{seq}"},
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = unkeyed_hash(row)
        session.execute(insert(AuditEvent).values(**row))
    session.execute(update(AuditChainHead).values(last_seq=count, last_hash=prev_hash, keyed_from_seq=count + 1))
    session.commit()
