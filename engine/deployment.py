"""Deploying a process package as a new version of its key, or recognising one already deployed."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from engine.audit import append_event
from engine.bpmn.loading import LoadedProcess, load_process_package
from engine.clock import SYSTEM_CLOCK, Clock
from engine.errors import Conflict, DeploymentRefused, DeployProblem
from engine.models import ProcessDefinition, ProcessDefinitionFile
from engine.serialization import SERIALIZER_VERSION, spec_to_json
from engine.task_projection import lane_role

CANDIDATE_ORGANIZATION_SCOPES = frozenset({"instance", "parent", "party_committee"})


@dataclass(frozen=True)
class Deployment:
    definition: ProcessDefinition
    created: bool  # False when identical content was already deployed


def deploy(
    session: Session,
    files: Mapping[str, bytes],
    *,
    clock: Clock = SYSTEM_CLOCK,
    actor_id: int | None = None,
    process_key: str | None = None,
) -> Deployment:
    """Validate and store a package; one transaction. Raises DeploymentRefused or Conflict."""
    loaded = load_process_package(files, process_key)
    problems = list(task_property_problems(loaded))
    if problems:
        raise DeploymentRefused(problems)
    content_hash = package_hash(files)
    existing = session.scalars(
        select(ProcessDefinition).where(
            ProcessDefinition.key == loaded.process_key, ProcessDefinition.content_hash == content_hash
        )
    ).first()
    if existing is not None:
        return Deployment(existing, created=False)
    try:
        definition = _store_new_version(session, loaded, content_hash, clock, actor_id)
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise Conflict(f"流程 {loaded.process_key} 正在被同时部署，请重试 (a concurrent deployment won; retry)") from error
    return Deployment(definition, created=True)


def package_hash(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def task_property_problems(loaded: LoadedProcess) -> Iterator[DeployProblem]:
    """Refuse at deploy time what the inbox projection could only guess at run time."""
    specs: list[BpmnProcessSpec] = [loaded.spec, *loaded.subprocess_specs.values()]
    for process in specs:
        for task_spec in process.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            properties = getattr(task_spec, "extensions", {}).get("properties", {})
            yield from _user_task_problems(getattr(process, "file", None), task_spec.name, task_spec.lane, properties)


def _user_task_problems(file: str | None, element_id: str, lane: str | None, properties: dict[str, str]) -> Iterator[DeployProblem]:
    role = properties.get("candidate_role")
    if role is not None and lane_role(role) is None:
        yield DeployProblem("unknown_role", f"未知角色 (unknown role): {role}", file, element_id)
    if role is None and lane is not None and lane_role(lane) is None:
        yield DeployProblem(
            "unknown_role", f"泳道名称不是已知角色 (lane is not a known role): {lane}", file, element_id
        )
    scope = properties.get("candidate_organization")
    if scope is not None and scope not in CANDIDATE_ORGANIZATION_SCOPES:
        yield DeployProblem(
            "bad_property",
            f"candidate_organization 只能是 {sorted(CANDIDATE_ORGANIZATION_SCOPES)} (got {scope!r})",
            file,
            element_id,
        )
    priority = properties.get("priority")
    if priority is not None and not priority.strip().lstrip("-").isdigit():
        yield DeployProblem("bad_property", f"priority 必须是整数 (priority must be an integer): {priority!r}", file, element_id)


def _store_new_version(
    session: Session, loaded: LoadedProcess, content_hash: str, clock: Clock, actor_id: int | None
) -> ProcessDefinition:
    latest = session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == loaded.process_key)
    )
    definition = ProcessDefinition(
        key=loaded.process_key,
        version=(latest or 0) + 1,
        name=loaded.name,
        content_hash=content_hash,
        spec_json=spec_to_json(loaded.spec, loaded.subprocess_specs),
        serializer_version=SERIALIZER_VERSION,
        deployed_at=clock.now(),
        deployed_by_id=actor_id,
        files=[ProcessDefinitionFile(filename=name, content=data) for name, data in sorted(loaded.sources.items())],
    )
    session.add(definition)
    session.flush()
    append_event(
        session,
        clock,
        "definition.deployed",
        actor_id=actor_id,
        after={"key": definition.key, "version": definition.version, "content_hash": content_hash},
    )
    return definition
