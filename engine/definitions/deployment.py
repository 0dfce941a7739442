"""Deploying a process package as a new version of its key, or recognising one already deployed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.bpmn.loading import LoadedProcess, load_process_package
from engine.bpmn.xml_safety import parse_untrusted_xml
from engine.clock import SYSTEM_CLOCK, Clock
from engine.definitions.package_checks import form_keys, package_problems
from engine.errors import Conflict, DeploymentRefused, DeployProblem, NotFound
from engine.instances.serialization import SERIALIZER_VERSION, spec_to_json
from engine.models import ProcessDefinition, ProcessDefinitionFile
from engine.procedures.extensions import NO_EXTENSIONS, ProcessExtensions
from engine.timers.start_events import schedule_start_timers
from forms import FormDefinition, FormDefinitionError, parse_form_definition


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
    form_library: Mapping[str, bytes] | None = None,
    extensions: ProcessExtensions = NO_EXTENSIONS,
) -> Deployment:
    """Validate and store a package; one transaction. Raises DeploymentRefused or Conflict.

    `files` holds the BPMN/DMN files and any `.json` form definitions. A `form_key` not in the
    package is taken from `form_library` (form key -> definition bytes) and stored with this
    version, so a version keeps the forms it was deployed with. `extensions` are the step guards,
    service calls and rule sets the process may name.
    """
    models = {name: data for name, data in files.items() if not is_form_file(name)}
    loaded = load_process_package(models, process_key)
    problems: list[DeployProblem] = []
    forms, form_sources = _package_forms({n: d for n, d in files.items() if is_form_file(n)}, problems)
    for key in sorted(form_keys(loaded) - set(forms)):
        if form_library and key in form_library:
            name = f"forms/{key}.json"
            form = _parse_form(name, form_library[key], problems)
            if form is not None:
                forms[key], form_sources[name] = form, form_library[key]
    problems.extend(package_problems(loaded, forms, extensions))
    if problems:
        raise DeploymentRefused(problems)
    stored = {**loaded.sources, **form_sources}
    content_hash = package_hash(stored)
    existing = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == loaded.process_key, ProcessDefinition.content_hash == content_hash)
    ).first()
    if existing is not None:
        return Deployment(existing, created=False)
    try:
        definition = _store_new_version(session, loaded, stored, content_hash, clock, actor_id)
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


def forms_of(definition: ProcessDefinition) -> dict[str, FormDefinition]:
    """The forms stored with a deployed version, by key."""
    forms = (parse_form_definition(f.content, f.filename) for f in definition.files if is_form_file(f.filename))
    return {form.key: form for form in forms}


def is_form_file(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() == ".json"


def _package_forms(form_files: Mapping[str, bytes], problems: list[DeployProblem]) -> tuple[dict[str, FormDefinition], dict[str, bytes]]:
    forms: dict[str, FormDefinition] = {}
    sources: dict[str, bytes] = {}
    for name, data in sorted(form_files.items()):
        form = _parse_form(name, data, problems)
        if form is None:
            continue
        if form.key in forms:
            problems.append(DeployProblem("duplicate_form", f"表单重复 (form {form.key!r} is defined twice)", name))
        forms[form.key], sources[name] = form, data
    return forms, sources


def _parse_form(name: str, data: bytes, problems: list[DeployProblem]) -> FormDefinition | None:
    try:
        return parse_form_definition(data, name)
    except FormDefinitionError as error:
        problems.extend(
            DeployProblem("form_invalid", f"表单定义有误 (invalid form definition): {p.message}", name, p.path or None)
            for p in error.problems
        )
        return None


def _store_new_version(
    session: Session,
    loaded: LoadedProcess,
    stored: Mapping[str, bytes],
    content_hash: str,
    clock: Clock,
    actor_id: int | None,
) -> ProcessDefinition:
    latest = session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == loaded.process_key))
    definition = ProcessDefinition(
        key=loaded.process_key,
        version=(latest or 0) + 1,
        name=loaded.name,
        content_hash=content_hash,
        spec_json=spec_to_json(loaded.spec, loaded.subprocess_specs),
        serializer_version=SERIALIZER_VERSION,
        deployed_at=clock.now(),
        deployed_by_id=actor_id,
        files=[ProcessDefinitionFile(filename=name, content=data) for name, data in sorted(stored.items())],
    )
    session.add(definition)
    session.flush()
    schedule_start_timers(session, definition, loaded.spec, clock)
    append_event(
        session,
        clock,
        "definition.deployed",
        actor_id=actor_id,
        after={"key": definition.key, "version": definition.version, "content_hash": content_hash},
    )
    return definition


def form_library_from(folders: Iterable[Path]) -> dict[str, bytes]:
    """The form definitions of process package folders (`<folder>/forms/*.json`), by key: what a
    deploy from the editor or the API may take a missing form from."""
    return {path.stem: path.read_bytes() for folder in folders for path in sorted((folder / "forms").glob("*.json"))}


def deploy_package_folders(
    session: Session,
    folders: Iterable[Path],
    extensions: ProcessExtensions,
    *,
    clock: Clock = SYSTEM_CLOCK,
    actor_id: int | None = None,
) -> list[Deployment]:
    """Deploy each process package folder: its BPMN file with the folder's DMN files and forms."""
    return [deploy(session, package_files(folder), clock=clock, actor_id=actor_id, extensions=extensions) for folder in folders]


def package_files(folder: Path) -> dict[str, bytes]:
    """What a package folder deploys: `*.bpmn`, `*.dmn` and `forms/*.json`, by their names in a version."""
    models = {path.name: path.read_bytes() for path in sorted([*folder.glob("*.bpmn"), *folder.glob("*.dmn")])}
    forms = {f"forms/{path.name}": path.read_bytes() for path in sorted((folder / "forms").glob("*.json"))}
    return {**models, **forms}


def main_model_file(definition: ProcessDefinition) -> ProcessDefinitionFile:
    """The stored BPMN file that defines the version's process (the others are its DMN and forms)."""
    for stored in definition.files:
        if is_form_file(stored.filename):
            continue
        root = parse_untrusted_xml(stored.filename, stored.content).getroot()
        if any(process.get("id") == definition.key for process in root.iter(f"{{{BPMN_MODEL_NS}}}process")):
            return stored
    raise NotFound(f"流程 {definition.key} 第 {definition.version} 版没有流程文件 (no BPMN file stored)")


def latest_versions(session: Session) -> list[ProcessDefinition]:
    """The newest version of every deployed process, by key."""
    newest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version")).group_by(ProcessDefinition.key).subquery()
    return list(
        session.scalars(
            select(ProcessDefinition)
            .join(newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version))
            .order_by(ProcessDefinition.key)
        )
    )
