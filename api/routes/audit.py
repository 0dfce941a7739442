"""GET /api/v1/audit/verify: recompute the hash chain and name the first broken event."""
from __future__ import annotations

from flask_smorest import Blueprint

from api.auth import authenticate_request, current_actor
from api.database import db_session
from api.errors import ApiError
from api.schemas import VerifyResponse
from engine.audit import ChainVerification, verify_chain
from engine.policy import may_read_audit

blueprint = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计 (audit)")
blueprint.before_request(authenticate_request)


@blueprint.get("/verify")
@blueprint.response(200, VerifyResponse)
@blueprint.doc(security=[{"bearerAuth": []}])
def verify() -> ChainVerification:
    """重新计算审计哈希链，指出第一条被篡改的记录 (recompute the audit chain; name the first broken event)"""
    if not may_read_audit(current_actor()):
        raise ApiError(403, "只有审计人员可以核验审计链 (only auditors may verify the audit chain)")
    return verify_chain(db_session())
