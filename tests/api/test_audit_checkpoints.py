"""The audit chain's anchor through the API: verification names what was done to the chain and the
checkpoint it compared with; auditors download the signed checkpoint file to keep."""

from __future__ import annotations

import json

from sqlalchemy import delete, update

from api.cli import wf
from engine.audit_checkpoints import read_checkpoints
from engine.models import AuditChainHead, AuditEvent
from tests.helpers.api_errors import assert_error_shape


def cut_off_newest(session, keep: int) -> None:  # type: ignore[no-untyped-def]
    """A database administrator deletes the newest events and moves the chain head back."""
    session.rollback()
    session.execute(delete(AuditEvent).where(AuditEvent.seq > keep))
    session.execute(update(AuditChainHead).values(last_seq=keep, last_hash=session.get(AuditEvent, keep).hash))
    session.commit()


def test_verification_names_the_checkpoint_it_agrees_with(client, login, demo, audit_anchor):
    body = client.get("/api/v1/audit/verify", headers=login("auditor")).json
    latest = read_checkpoints(audit_anchor).latest

    assert (body["ok"], body["problem"], body["unanchored_events"]) == (True, None, 0)
    assert body["checkpoint"]["last_seq"] == latest.last_seq == body["events"]
    assert body["checkpoint"]["written_at"].endswith("+00:00")  # an offset, never a bare time


def test_a_cut_off_tail_is_reported_as_truncated(client, login, demo, session):
    events = client.get("/api/v1/audit/verify", headers=login("auditor")).json["events"]
    cut_off_newest(session, keep=events - 2)

    body = client.get("/api/v1/audit/verify", headers=login("auditor")).json
    assert (body["ok"], body["problem"], body["first_bad_seq"], body["events"]) == (False, "truncated", events - 1, events - 2)
    assert body["checkpoint"]["last_seq"] == events


def test_auditors_download_the_signed_checkpoints(client, login, demo, audit_anchor):
    response = client.get("/api/v1/audit/checkpoints", headers=login("auditor"))

    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"] == "attachment; filename=audit-checkpoints.jsonl"
    assert response.data == audit_anchor.checkpoint_path.read_bytes()
    assert all("signature" in json.loads(line) for line in response.data.splitlines())
    assert audit_anchor.key not in response.data
    response.close()  # a file sent streams until closed


def test_before_any_checkpoint_the_download_says_so(client, login, demo, audit_anchor):
    headers = login("auditor")
    audit_anchor.checkpoint_path.unlink()
    assert_error_shape(client.get("/api/v1/audit/checkpoints", headers=headers), 404, "not_found")


def test_the_operator_command_verifies_and_fails_on_a_cut_off_tail(app, demo, session):
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask --app api.app wf verify-audit` runs it
        intact = runner.invoke(wf, ["verify-audit"])
    assert intact.exit_code == 0 and "审计链完整" in intact.output
    events = session.query(AuditEvent).count()
    cut_off_newest(session, keep=events - 1)

    with app.app_context():
        broken = runner.invoke(wf, ["verify-audit"])
    assert broken.exit_code == 1 and f"truncated，第 {events} 条" in broken.output
