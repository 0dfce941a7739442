"""The audit log for auditors: the events (e.g. who read whose record), the chain check that
names the first event edited or deleted and compares the chain with the latest checkpoint kept
outside the database, and the download of the checkpoint file."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import fields, validate
from sqlalchemy import select

from api.http.audit_checkpoints import checkpoint_download
from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.routes.schemas import AuditEventSchema, StrictSchema, VerifyResponse
from engine.audit import ChainVerification, verify_chain
from engine.models import AuditEvent
from engine.people.permissions import may_read_audit

blueprint = ApiBlueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计 (audit)")
blueprint.before_request(authenticate_request)


class EventQuery(StrictSchema):
    event_type = fields.String(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


@blueprint.get("/events")
@blueprint.arguments(EventQuery, location="query")
@blueprint.response(200, AuditEventSchema(many=True))
@blueprint.doc(security=[{"bearerAuth": []}])
def list_events(query: dict[str, Any]) -> list[AuditEvent]:
    """审计事件，最新在前，可按类型筛选（如 person.read：谁在何时查看了谁的信息）(audit events, newest first)"""
    if not may_read_audit(current_actor()):
        raise ApiError(403, "只有审计人员可以查看审计记录 (only auditors may read the audit log)")
    statement = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(query["limit"])
    if query["event_type"]:
        statement = statement.where(AuditEvent.event_type == query["event_type"])
    return list(db_session().scalars(statement))


@blueprint.get("/verify")
@blueprint.response(200, VerifyResponse)
@blueprint.doc(security=[{"bearerAuth": []}])
def verify() -> ChainVerification:
    """重新计算审计哈希链并与库外最新检查点比对，指出第一条被篡改的记录及问题类型
    (recompute the audit chain, compare it with the latest checkpoint kept outside the database;
    name the first broken event and the problem: altered, head_mismatch, truncated,
    checkpoint_mismatch, checkpoint_missing, checkpoint_invalid)"""
    if not may_read_audit(current_actor()):
        raise ApiError(403, "只有审计人员可以核验审计链 (only auditors may verify the audit chain)")
    return verify_chain(db_session())


@blueprint.get("/checkpoints")
@blueprint.response(200, content_type="application/x-ndjson")
@blueprint.doc(security=[{"bearerAuth": []}])
def download_checkpoints() -> Response:
    """下载审计检查点文件：每行一个以审计密钥签名的 (last_seq, last_hash, keyed_from_seq, written_at)
    (download the signed audit checkpoints, one JSON line each, for auditors to keep)"""
    if not may_read_audit(current_actor()):
        raise ApiError(403, "只有审计人员可以下载审计检查点 (only auditors may download the audit checkpoints)")
    return checkpoint_download()
