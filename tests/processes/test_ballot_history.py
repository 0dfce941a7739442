"""民主测评 leaves no history that pairs a voter with grades: the attack of issue 13, replayed.

Twelve members of 第一党支部 vote through the API on a SQLite database in WAL mode. The database
file and its -wal file are copied before any checkpoint, and the WAL is replayed commit by commit,
as someone holding a copy of the files would: each commit that files a receipt changes nothing but
the receipts, each commit that files a sealed ballot changes nothing but the sealed ballots, and the
counters move only in commits that file neither, five ballots at a time or at the close. The logs
and the audit events name no voter beside a grade. A crash between the receipt and the sealed
ballot is handled as docs/BALLOT_PRIVACY.md says.
"""

from __future__ import annotations

import itertools
import json
import logging
import shutil
import sqlite3
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from api.http.database import dispose_database, session_factory
from engine.audit import anchor_sessions
from engine.audit_checkpoints import AuditAnchor
from engine.clock import FrozenClock
from engine.db import make_engine, make_session_factory
from engine.models import AuditEvent, BallotReceipt, MembershipStatus, PartyStanding, Person, Role, SealedBallot
from engine.party.demo_organization import DEMO_PASSWORD, FULL_SINCE, DemoOrganization, seed_demo
from engine.people.accounts import hash_password
from engine.people.organizations import create_person, grant_role
from engine.schema import upgrade_to_head
from engine.sealing import SealBroken, Sealer
from tests.helpers.paths import PROCESSES
from tests.helpers.scenario_player import ScenarioPlayer

SUITE = json.loads((PROCESSES / "democratic_appraisal" / "scenarios.json").read_text(encoding="utf-8"))
EXTRA_VOTERS = [f"voter{n}" for n in range(1, 7)]  # with the demo branch's six: twelve votes
GRADE_WORDS = ("excellent", "qualified", "unqualified", "优秀", "合格")
WAL_HEADER, FRAME_HEADER = 32, 24


@dataclass
class Ballots:
    app: Flask
    sessions: sessionmaker[Session]
    player: ScenarioPlayer
    database: Path

    def voters(self) -> list[str]:
        return ["drafter", "secretary", "reviewer", "member1", "member2", "member3", *EXTRA_VOTERS]

    def grades_of(self, n: int) -> dict[str, str]:
        """A different ballot for each voter, over three appraised members."""
        grades = ("excellent", "qualified", "basically_qualified", "unqualified")
        return {"@member1": grades[n % 4], "@member2": grades[(n // 2) % 4], "@member3": grades[(n * 3) % 4]}


@pytest.fixture
def ballots(tmp_path: Path, audit_anchor: AuditAnchor) -> Iterator[Ballots]:
    """An app on a SQLite file of its own whose WAL is never checkpointed behind the test's back."""
    database = tmp_path / "ballots.db"
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    _keep_the_wal(engine)
    upgrade_to_head(engine)
    sessions = anchor_sessions(make_session_factory(engine), audit_anchor)
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, 0))
    with sessions() as session:
        demo = seed_demo(session, clock)
        session.commit()
    app = create_app(
        {"TESTING": True, "DATABASE_URL": url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True, "AUDIT_ANCHOR": audit_anchor}
    )
    _keep_the_wal(session_factory(app).kw["bind"])
    player = ScenarioPlayer(app.test_client(), sessions, clock, demo, SUITE)
    player.deploy()
    player.start(SUITE["scenarios"][0])
    _add_voters(sessions, clock, demo)
    player.people.update(_people(sessions))
    for step in SUITE["paths"]["study_and_self_appraisal"]:
        player.play(step)
    yield Ballots(app, sessions, player, database)
    dispose_database(app)
    engine.dispose()


def test_the_database_files_pair_no_receipt_with_grades(ballots: Ballots, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    player = ballots.player
    for username in ballots.voters():
        player.headers(username)  # signed in before the history starts: signing in is not voting
    _checkpoint(ballots.sessions)

    cast: dict[str, dict[str, str]] = {}
    with caplog.at_level(logging.DEBUG):
        for n, username in enumerate(ballots.voters()):
            cast[username] = {str(player.resolve(member)): grade for member, grade in ballots.grades_of(n).items()}
            player.cast_ballot({"by": username, "grades": ballots.grades_of(n)})
        player.play({"task": "close_ballot", "by": "secretary", "data": "close", "on": "2026-10-22"})
    history = _replayed(ballots.database, tmp_path / "replay")

    voter_ids = {player.people[name] for name in ballots.voters()}
    counted_at = []
    for before, after in itertools.pairwise(history):
        changed = {table for table in after if after[table] != before[table]}
        receipts_added = after["appraisal_ballot_receipts"] - before["appraisal_ballot_receipts"]
        sealed_added = after["appraisal_sealed_ballots"] - before["appraisal_sealed_ballots"]
        if receipts_added:
            assert changed == {"appraisal_ballot_receipts"} and len(receipts_added) == 1, changed
        if sealed_added:
            assert changed == {"appraisal_sealed_ballots"} and len(sealed_added) == 1, changed
        if "appraisal_tallies" in changed:
            assert not receipts_added and not sealed_added
            counted_at.append(_counted(after) - _counted(before))
        if _open(after):  # while members vote, no audit event names one of them
            assert not [e for e in _events(after) - _events(before) if json.loads(e)["actor_id"] in voter_ids]
    assert len([1 for b, a in itertools.pairwise(history) if a["appraisal_ballot_receipts"] != b["appraisal_ballot_receipts"]]) == 12
    assert counted_at == [5, 7]  # a random half of the ten waiting, then the seven left at the close

    sealed = [json.loads(row)["sealed"] for state in history for row in state["appraisal_sealed_ballots"]]
    assert len({len(value) for value in sealed}) == 1  # every ballot's ciphertext is as long as every other's
    with ballots.app.app_context(), pytest.raises(SealBroken):
        Sealer("some other key").open(bytes.fromhex(sealed[0]), f"appraisal-ballot:{player.instance_id}")
    raw = ballots.database.read_bytes() + (tmp_path / "replay" / "copied.db-wal").read_bytes()
    for grades in cast.values():
        assert json.dumps(grades).encode() not in raw and json.dumps(grades, separators=(",", ":")).encode() not in raw

    for record in caplog.records:
        message = record.getMessage()
        names_a_voter = any(str(person_id) in message.split() for person_id in voter_ids) or any(u in message for u in ballots.voters())
        assert not (names_a_voter and any(word in message for word in GRADE_WORDS)), message

    tallies = _tallies(history[-1])
    expected = Counter((int(member), grade) for grades in cast.values() for member, grade in grades.items())
    assert tallies == expected


def test_a_member_votes_once_even_when_the_sealed_ballot_fails(ballots: Ballots) -> None:
    """The sealed ballot cannot be stored: the receipt is withdrawn, so the voter is not counted as
    having voted and may vote again; the second ballot counts once; a third is refused."""
    player, member1 = ballots.player, ballots.player.people["member1"]
    with ballots.sessions() as session:
        session.execute(
            text("CREATE TRIGGER disk_trouble BEFORE INSERT ON appraisal_sealed_ballots BEGIN SELECT RAISE(ABORT, 'disk trouble'); END")
        )
        session.commit()
    url = f"/api/v1/appraisals/{player.instance_id}/ballots"
    grades = {str(player.people["member2"]): "excellent"}
    failed = player.client.post(url, json={"grades": grades}, headers=player.headers("member1"))
    assert failed.status_code == 500, failed.json
    with ballots.sessions() as session:
        assert session.scalars(select(BallotReceipt)).all() == [] and session.scalars(select(SealedBallot)).all() == []
        session.execute(text("DROP TRIGGER disk_trouble"))
        session.commit()
    view = player.client.get(f"/api/v1/appraisals/{player.instance_id}/ballot", headers=player.headers("member1")).json
    assert (view["has_voted"], view["may_vote"], view["ballots_cast"]) == (False, True, 0)

    assert player.client.post(url, json={"grades": grades}, headers=player.headers("member1")).status_code == 201
    again = player.client.post(url, json={"grades": grades}, headers=player.headers("member1"))
    assert again.status_code == 409 and "已经投过票" in again.json["message"]
    player.play({"task": "close_ballot", "by": "secretary", "data": "close", "on": "2026-10-22"})
    with ballots.sessions() as session:
        closed = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "appraisal.ballot_closed")).one()
        assert closed.after == {"ballots_counted": 1, "receipts": 1, "counted_at_close": 1}
        assert session.scalars(select(BallotReceipt.voter_id)).all() == [member1]


def test_a_crash_after_the_receipt_is_reported_at_the_close_never_a_second_ballot(
    ballots: Ballots, caplog: pytest.LogCaptureFixture
) -> None:
    """What a crash between the two commits leaves — a receipt and no sealed ballot — keeps the voter
    from voting twice, and the close says that one receipt has no ballot counted."""
    player = ballots.player
    url = f"/api/v1/appraisals/{player.instance_id}/ballots"
    with ballots.sessions() as session:
        session.add(BallotReceipt(instance_id=player.instance_id, voter_id=player.people["member2"]))
        session.commit()
    refused = player.client.post(url, json={"grades": {str(player.people["member1"]): "qualified"}}, headers=player.headers("member2"))
    assert refused.status_code == 409
    assert (
        player.client.post(
            url, json={"grades": {str(player.people["member1"]): "excellent"}}, headers=player.headers("member3")
        ).status_code
        == 201
    )
    with caplog.at_level(logging.WARNING):
        player.play({"task": "close_ballot", "by": "secretary", "data": "close", "on": "2026-10-22"})
    with ballots.sessions() as session:
        closed = session.scalars(select(AuditEvent).where(AuditEvent.event_type == "appraisal.ballot_closed")).one()
    assert closed.after == {"ballots_counted": 1, "receipts": 2, "counted_at_close": 1}
    assert any("2 receipts but 1 ballots counted" in record.getMessage() for record in caplog.records)


# -- the database files, as a copy of them shows them -------------------------------------------


State = dict[str, set[str]]


def _replayed(database: Path, folder: Path) -> list[State]:
    """The database after each commit in its WAL: the file with the WAL cut after that commit."""
    folder.mkdir()
    db_copy, wal_copy = folder / "copied.db", folder / "copied.db-wal"
    shutil.copyfile(database, db_copy)
    shutil.copyfile(Path(f"{database}-wal"), wal_copy)
    wal = wal_copy.read_bytes()
    page_size = struct.unpack(">I", wal[8:12])[0]
    frame = FRAME_HEADER + page_size
    commits = [
        WAL_HEADER + (n + 1) * frame
        for n in range((len(wal) - WAL_HEADER) // frame)
        if struct.unpack(">I", wal[WAL_HEADER + n * frame + 4 : WAL_HEADER + n * frame + 8])[0] != 0
    ]
    assert len(commits) > 12, "the WAL was checkpointed away"
    return [_state(db_copy, wal[:end] if end else b"", folder / f"at-{end}") for end in [0, *commits]]


def _state(db_copy: Path, wal: bytes, folder: Path) -> State:
    folder.mkdir()
    shutil.copyfile(db_copy, folder / "at.db")
    if wal:
        (folder / "at.db-wal").write_bytes(wal)
    connection = sqlite3.connect(folder / "at.db")
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        state = {}
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (names from sqlite_master)
            columns = [column[0] for column in cursor.description]
            state[table] = {json.dumps(dict(zip(columns, map(_plain, row), strict=True)), sort_keys=True) for row in cursor}
        return state
    finally:
        connection.close()


def _plain(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value


def _counted(state: State) -> int:
    (row,) = state["appraisal_ballots"]
    return int(json.loads(row)["ballots_counted"])


def _open(state: State) -> bool:
    (row,) = state["appraisal_ballots"]
    return bool(json.loads(row)["status"] == "open")


def _events(state: State) -> set[str]:
    return state["audit_events"]


def _tallies(state: State) -> Counter[tuple[int, str]]:
    rows = [json.loads(row) for row in state["appraisal_tallies"]]
    return Counter({(row["appraised_id"], row["grade"]): row["votes"] for row in rows if row["votes"]})


# -- setting up ---------------------------------------------------------------------------------


def _keep_the_wal(engine: Engine) -> None:
    def no_automatic_checkpoint(connection: Any, _record: object) -> None:
        connection.execute("PRAGMA wal_autocheckpoint=0")

    event.listen(engine, "connect", no_automatic_checkpoint)


def _checkpoint(sessions: sessionmaker[Session]) -> None:
    """Move everything so far into the database file and empty the WAL: what follows is the ballot."""
    with sessions() as session:
        busy, _, _ = session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).one()
    assert busy == 0


def _add_voters(sessions: sessionmaker[Session], clock: FrozenClock, demo: DemoOrganization) -> None:
    """Six more full members of 第一党支部, after the appraised members were listed: voters only."""
    with sessions() as session:
        password_hash = hash_password(DEMO_PASSWORD)
        for username in EXTRA_VOTERS:
            person = create_person(session, username, f"党员{username[-1]}", clock=clock)
            person.password_hash = password_hash
            grant_role(session, person.id, demo.branch1.id, Role.MEMBER, clock=clock)
            session.add(PartyStanding(person_id=person.id, status=MembershipStatus.FULL, full_since=FULL_SINCE, updated_at=clock.now()))
        session.commit()


def _people(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {person.username: person.id for person in session.scalars(select(Person))}


def test_on_postgresql_no_receipt_shares_a_transaction_with_grades(client, demo, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL stamps each row version with the id of the transaction that wrote it (xmin): no
    receipt's is a sealed ballot's or a counter's, and each receipt has its own."""
    with session_factory() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("xmin is PostgreSQL's; on SQLite the WAL test above replays the same question")
    player = ScenarioPlayer(client, session_factory, clock, demo, SUITE)
    player.deploy()
    player.start(SUITE["scenarios"][0])
    for step in SUITE["paths"]["study_and_self_appraisal"]:
        player.play(step)
    for step in SUITE["paths"]["everyone_votes_qualified"]:
        player.play(step)
    receipts, sealed = _xmins(session_factory, "appraisal_ballot_receipts"), _xmins(session_factory, "appraisal_sealed_ballots")
    player.play({"task": "close_ballot", "by": "secretary", "data": "close", "on": "2026-10-22"})
    tallies = _xmins(session_factory, "appraisal_tallies WHERE votes > 0")
    assert len(receipts) == len(set(receipts)) == len(sealed) == 6
    assert not set(receipts) & (set(sealed) | set(tallies))


def _xmins(sessions: sessionmaker[Session], table: str) -> list[int]:
    with sessions() as session:
        return [int(x) for x in session.scalars(text(f"SELECT xmin::text FROM {table}"))]  # noqa: S608  (names written here)
