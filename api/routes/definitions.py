"""GET|POST /api/v1/process-definitions: list the deployed versions; deploy a package."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.http.bearer_auth import authenticate_request, current_actor
from api.http.database import db_session
from api.http.errors import ApiError
from api.http.request_body import ApiBlueprint
from api.http.services import form_library, process_extensions
from api.routes.schemas import DefinitionSchema, DeployForm, DeploymentResponse
from engine.definitions.deployment import deploy
from engine.models import ProcessDefinition
from engine.people.permissions import may_deploy

blueprint = ApiBlueprint("definitions", __name__, url_prefix="/api/v1/process-definitions", description="流程定义 (process definitions)")
blueprint.before_request(authenticate_request)


@blueprint.get("")
@blueprint.response(200, DefinitionSchema(many=True))
@blueprint.doc(security=[{"bearerAuth": []}])
def list_definitions() -> list[dict[str, Any]]:
    """列出已部署的流程定义及版本 (list deployed process definitions and versions)"""
    current_actor()
    definitions = db_session().scalars(
        select(ProcessDefinition).options(selectinload(ProcessDefinition.files)).order_by(ProcessDefinition.key, ProcessDefinition.version)
    )
    return [_describe(d) for d in definitions]


@blueprint.post("")
@blueprint.arguments(DeployForm, location="files", validate=False)
@blueprint.response(201, DeploymentResponse)
@blueprint.doc(security=[{"bearerAuth": []}])
def deploy_definition(_form: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """部署流程：上传 BPMN（可附 DMN 与表单），内容相同则版本不变 (deploy a package; identical content keeps its version)"""
    actor = current_actor()
    if not may_deploy(actor):
        raise ApiError(403, "只有流程管理员可以部署流程 (only process owners may deploy)")
    files = _uploaded_files()
    deployment = deploy(
        db_session(),
        files,
        clock=current_app.extensions["wf_clock"],
        actor_id=actor.id,
        form_library=form_library(),
        extensions=process_extensions(),
    )
    body = {"key": deployment.definition.key, "version": deployment.definition.version, "created": deployment.created}
    return body, 201 if deployment.created else 200


def _uploaded_files() -> dict[str, bytes]:
    main = request.files.get("file")
    if main is None or not main.filename:
        raise ApiError(422, "缺少流程文件 (the multipart field `file` is required)", errors={"file": ["必填项 (required)"]})
    files = {main.filename: main.read()}
    for extra in request.files.getlist("files"):
        if extra.filename in files:
            raise ApiError(422, f"文件重名 (duplicate file name): {extra.filename}", errors={"files": [extra.filename]})
        files[extra.filename or "unnamed"] = extra.read()
    return files


def _describe(definition: ProcessDefinition) -> dict[str, Any]:
    return {
        "key": definition.key,
        "version": definition.version,
        "name": definition.name,
        "content_hash": definition.content_hash,
        "deployed_at": definition.deployed_at,
        "files": [f.filename for f in definition.files],
    }
