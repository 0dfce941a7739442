"""Signed checkpoints of the audit chain, kept outside the database.

The audit key keys the chain's hashes and signs each checkpoint `(last_seq, last_hash,
keyed_from_seq, written_at)`. Checkpoints are appended, one JSON line each, to a file the database
administrator cannot rewrite; verification checks that the chain passes through every one and
reaches the newest, so events deleted from the tail (even once new events have been written past
the old end), or a chain rebuilt without the key, no longer verify.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

CHECKPOINT_FILE_MODE = 0o600
_CHECKPOINT_CONTEXT = b"wf-audit-checkpoint\n"  # a checkpoint's signature can never pass for a chain hash


@dataclass(frozen=True)
class AuditAnchor:
    """The audit key (a secret held outside the database) and the checkpoint file it signs."""

    key: bytes = field(repr=False)
    checkpoint_path: Path

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("审计密钥至少 32 字节 (the audit key needs at least 32 bytes)")


@dataclass(frozen=True)
class Checkpoint:
    last_seq: int
    last_hash: str
    keyed_from_seq: int  # the first event hashed with the key; those before it predate the key
    written_at: datetime  # naive UTC, as every stored moment


@dataclass(frozen=True)
class CheckpointFile:
    """What the file holds: the hash each validly signed checkpoint names, by event; the newest
    checkpoint; and the first line that is not one (edited, forged with another key, or garbled)."""

    hashes: dict[int, set[str]]  # more than one hash for an event: the chain was rebuilt after it
    keyed_from: set[int]  # the keyed_from_seq every checkpoint names: one value unless tampered with
    latest: Checkpoint | None
    first_invalid_line: int | None


def append_checkpoint(anchor: AuditAnchor, checkpoint: Checkpoint) -> None:
    """Append one signed line; the file is created readable by its owner only."""
    fields = _fields(checkpoint)
    line = json.dumps({**fields, "signature": _signature(anchor.key, fields)}, separators=(",", ":")) + "\n"
    anchor.checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(anchor.checkpoint_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, CHECKPOINT_FILE_MODE)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # whole lines, whichever process writes
        os.write(descriptor, line.encode("ascii"))
    finally:
        os.close(descriptor)  # closing releases the lock


def read_checkpoints(anchor: AuditAnchor) -> CheckpointFile:
    """The newest checkpoint is the one naming the highest event: processes that commit one after
    the other may append their checkpoints in the other order."""
    hashes: dict[int, set[str]] = {}
    keyed_from: set[int] = set()
    latest: Checkpoint | None = None
    try:
        lines = anchor.checkpoint_path.read_bytes().splitlines()
    except FileNotFoundError:
        lines = []
    for number, line in enumerate(lines, start=1):
        checkpoint = _verified(anchor.key, line)
        if checkpoint is None:
            return CheckpointFile(hashes, keyed_from, latest, first_invalid_line=number)
        hashes.setdefault(checkpoint.last_seq, set()).add(checkpoint.last_hash)
        keyed_from.add(checkpoint.keyed_from_seq)
        if latest is None or checkpoint.last_seq >= latest.last_seq:
            latest = checkpoint
    return CheckpointFile(hashes, keyed_from, latest, first_invalid_line=None)


def _verified(key: bytes, line: bytes) -> Checkpoint | None:
    try:
        stored = json.loads(line)
        fields = {name: stored[name] for name in ("last_seq", "last_hash", "keyed_from_seq", "written_at")}
        if not hmac.compare_digest(str(stored["signature"]), _signature(key, fields)):
            return None
        return Checkpoint(
            last_seq=int(fields["last_seq"]),
            last_hash=str(fields["last_hash"]),
            keyed_from_seq=int(fields["keyed_from_seq"]),
            written_at=datetime.fromisoformat(str(fields["written_at"])),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _fields(checkpoint: Checkpoint) -> dict[str, object]:
    return {
        "last_seq": checkpoint.last_seq,
        "last_hash": checkpoint.last_hash,
        "keyed_from_seq": checkpoint.keyed_from_seq,
        "written_at": checkpoint.written_at.isoformat(timespec="microseconds"),
    }


def _signature(key: bytes, fields: dict[str, object]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, _CHECKPOINT_CONTEXT + canonical, hashlib.sha256).hexdigest()
