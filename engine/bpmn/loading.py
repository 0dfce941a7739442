"""The hardened loader: BPMN/DMN bytes in, a SpiffWorkflow spec out, or every reason it was refused.

Stages, each refusing with all the problems it found before the next one runs:
1. size limits and file kinds, before anything is parsed;
2. safe XML parsing (no DTD, no entities, no network; see `xml_safety`);
3. XSD validation with SpiffWorkflow's own schemas (BPMN 2.0 + spiffworkflow extensions, DMN);
4. references that point outside the package, unsupported constructs, choice of the process;
5. SpiffWorkflow's parser builds the spec of the chosen process and of everything it calls.

Nothing but DeploymentRefused leaves `load_process_package`.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn.call_graph import call_cycle_problems, called_process_ids
from engine.bpmn.dmn_schemas import dmn_schema
from engine.bpmn.lane_roles import apply_lane_roles, declared_lane_roles
from engine.bpmn.problems import ElementLocator, schema_problems, unsupported_problem, validation_problem
from engine.bpmn.references import reference_problems
from engine.bpmn.xml_safety import parse_untrusted_xml
from engine.errors import DeploymentRefused, DeployProblem

MAX_FILE_BYTES: int = 2 * 1024 * 1024
MAX_PACKAGE_BYTES: int = 8 * 1024 * 1024
MAX_FILES: int = 64
ACCEPTED_SUFFIXES = (".bpmn", ".dmn", ".xml")

_BPMN_ROOT = f"{{{BPMN_MODEL_NS}}}definitions"
# lxml schema objects keep their error log on the instance, so concurrent validations would mix
# their errors; deploys are rare, a lock is cheaper than loading the XSDs per call.
_SCHEMA_LOCK = threading.Lock()
_log = logging.getLogger(__name__)
_T = TypeVar("_T")

Trees = dict[str, etree._ElementTree]


@dataclass(frozen=True)
class LoadedProcess:
    """A package that passed every check: the top-level process, what it calls, the files as given."""

    process_key: str
    name: str | None
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    sources: dict[str, bytes]
    # Finds the line of an element in the files, for checks that run after loading.
    locator: ElementLocator = field(compare=False, repr=False, default_factory=lambda: ElementLocator({}))


@dataclass(frozen=True)
class _Package:
    bpmn: Trees
    dmn: Trees

    @property
    def locator(self) -> ElementLocator:
        return ElementLocator({**self.bpmn, **self.dmn})


@dataclass(frozen=True)
class _ProcessEntry:
    """A process, or a collaboration whose pools run together as one instance."""

    process_id: str
    name: str | None
    executable: bool
    file: str
    line: int | None
    pools: tuple[tuple[str, str], ...] = ()  # (pool name, process id), for a collaboration

    @property
    def is_collaboration(self) -> bool:
        return bool(self.pools)


def load_process_package(files: Mapping[str, bytes], process_key: str | None = None) -> LoadedProcess:
    """Parses and checks a process package: filename -> bytes of its .bpmn and .dmn files.

    The top-level process is `process_key` when given. Otherwise it is the one executable
    process that no call activity in the package calls; several such processes are ambiguous.
    A process without `isExecutable` counts as executable, as SpiffWorkflow reads it; one
    marked `isExecutable="false"` (most interchange files, e.g. the MIWG suite) is never run
    and is refused with `no_executable_process`: deploying means running, and silently
    running what its modeller declared a documentation-only diagram would surprise them.
    Raises DeploymentRefused, never anything else.
    """
    try:
        return _load(files, process_key)
    except DeploymentRefused:
        raise
    except Exception as error:
        _log.exception("unexpected error while loading a process package")
        raise DeploymentRefused([unsupported_problem(error)]) from None


def _refuse_if(problems: list[DeployProblem]) -> None:
    if problems:
        raise DeploymentRefused(problems)


def _load(given: Mapping[str, bytes], process_key: str | None) -> LoadedProcess:
    files = dict(given)  # one snapshot: every stage sees the same files
    _refuse_if(_size_problems(files))
    package = _parse_package(files)
    _refuse_if(_schema_problems(package))
    processes = _index_processes(package.bpmn)
    collaborations = _index_collaborations(package.bpmn, processes)
    chosen, choice_problems = _choose_process(processes, collaborations, called_process_ids(package.bpmn), process_key)
    implemented_stores = SpiffBpmnParser.DATA_STORE_CLASSES
    _refuse_if(
        choice_problems + reference_problems(package.bpmn, package.dmn, set(files), implemented_stores) + call_cycle_problems(package.bpmn)
    )
    assert chosen is not None  # no problems means a process was chosen
    spec, subprocess_specs = _build_specs(package, chosen)
    return LoadedProcess(
        process_key=chosen.process_id,
        name=chosen.name,
        spec=spec,
        subprocess_specs=subprocess_specs,
        sources=files,
        locator=package.locator,
    )


# Stage 1: limits, before any parsing.


def _size_problems(files: Mapping[str, bytes]) -> list[DeployProblem]:
    if not files:
        return [DeployProblem("no_executable_process", "部署包中没有文件 (the package contains no files)")]
    if len(files) > MAX_FILES:
        return [DeployProblem("too_large", f"部署包最多 {MAX_FILES} 个文件 (at most {MAX_FILES} files per package)")]
    problems = [problem for name, data in files.items() if (problem := _file_problem(name, data))]
    total = sum(len(data) for data in files.values() if isinstance(data, bytes))
    if total > MAX_PACKAGE_BYTES:
        problems.append(
            DeployProblem(
                "too_large",
                f"部署包总大小超过 {MAX_PACKAGE_BYTES // (1024 * 1024)} MB (package is {total} bytes, the limit is {MAX_PACKAGE_BYTES})",
            )
        )
    return problems


def accepted_name(name: str) -> bool:
    """Whether a file of this name belongs in a process package (forms and the rest do not)."""
    return PurePosixPath(name).suffix.lower() in ACCEPTED_SUFFIXES


def _file_problem(name: str, data: bytes) -> DeployProblem | None:
    if not isinstance(name, str) or not isinstance(data, bytes):
        return DeployProblem("unsupported_file", "文件名必须是文本、内容必须是字节 (file name must be str, content bytes)", file=str(name))
    if not accepted_name(name):
        return DeployProblem("unsupported_file", f"只接受 .bpmn 和 .dmn 文件 (only .bpmn and .dmn files are accepted): {name}", file=name)
    if len(data) > MAX_FILE_BYTES:
        return DeployProblem(
            "too_large",
            f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB (file is {len(data)} bytes, the limit is {MAX_FILE_BYTES})",
            file=name,
        )
    return None


# Stage 2: safe parsing, and telling BPMN from DMN by the root element.


def _parse_package(files: Mapping[str, bytes]) -> _Package:
    bpmn: Trees = {}
    dmn: Trees = {}
    problems: list[DeployProblem] = []
    for name, data in files.items():
        try:
            tree = parse_untrusted_xml(name, data)
        except DeploymentRefused as refused:
            problems.extend(refused.problems)
            continue
        root_tag = etree.QName(tree.getroot()).text
        if root_tag == _BPMN_ROOT:
            bpmn[name] = tree
        elif _dmn_namespace(tree) is not None:
            dmn[name] = tree
        else:
            problems.append(
                DeployProblem(
                    "unsupported_file",
                    f"文件不是 BPMN 或 DMN 文档 (not a BPMN or DMN document; root element is {root_tag})",
                    file=name,
                    line=tree.getroot().sourceline,
                )
            )
    _refuse_if(problems)
    return _Package(bpmn=bpmn, dmn=dmn)


def _dmn_namespace(tree: etree._ElementTree) -> str | None:
    qname = etree.QName(tree.getroot())
    is_dmn = qname.localname == "definitions" and "/spec/DMN/" in (qname.namespace or "")
    return qname.namespace if is_dmn else None


# Stage 3: XSD validation, collecting every error with its line.


def _schema_errors(validator: BpmnValidator, tree: etree._ElementTree) -> list[etree._LogEntry]:
    with _SCHEMA_LOCK:
        validator.preprocess(tree)
        return _errors_against(validator.validator, tree)


def _errors_against(schema: etree.XMLSchema, tree: etree._ElementTree) -> list[etree._LogEntry]:
    return [] if schema.validate(tree) else list(schema.error_log)


def _schema_problems(package: _Package) -> list[DeployProblem]:
    locator = package.locator
    problems = []
    for name, tree in package.bpmn.items():
        problems += schema_problems(name, _schema_errors(VALIDATOR, tree), locator)
    for name, tree in package.dmn.items():
        with _SCHEMA_LOCK:
            schema = dmn_schema(_dmn_namespace(tree) or "")
            errors = [] if schema is None else _errors_against(schema, tree)
        problems += schema_problems(name, errors, locator)
    return problems


# Stage 4: which process is the one to run.


def _index_processes(bpmn: Trees) -> list[_ProcessEntry]:
    """The processes that can be named; one without an id cannot be run or called."""
    return [
        _ProcessEntry(
            process_id=process_id,
            name=process.get("name"),
            executable=process.get("isExecutable", "true") == "true",
            file=name,
            line=process.sourceline,
        )
        for name, tree in bpmn.items()
        for process in tree.getroot().iterchildren(f"{{{BPMN_MODEL_NS}}}process")
        if (process_id := process.get("id"))
    ]


def _index_collaborations(bpmn: Trees, processes: list[_ProcessEntry]) -> list[_ProcessEntry]:
    """Collaborations with at least one executable pool; they run as one instance of all their pools."""
    executable = {entry.process_id for entry in processes if entry.executable}
    entries = []
    for name, tree in bpmn.items():
        for collaboration in tree.getroot().iterchildren(f"{{{BPMN_MODEL_NS}}}collaboration"):
            pools = tuple(
                (participant.get("name") or process_id, process_id)
                for participant in collaboration.iterchildren(f"{{{BPMN_MODEL_NS}}}participant")
                if (process_id := participant.get("processRef")) in executable
            )
            if (collaboration_id := collaboration.get("id")) and pools:
                entries.append(_ProcessEntry(collaboration_id, collaboration.get("name"), True, name, collaboration.sourceline, pools))
    return entries


def _choose_process(
    processes: list[_ProcessEntry], collaborations: list[_ProcessEntry], called: set[str], process_key: str | None
) -> tuple[_ProcessEntry | None, list[DeployProblem]]:
    if process_key is not None:
        return _chosen_by_key(processes + collaborations, process_key)
    executable = [entry for entry in processes if entry.executable]
    if not executable:
        return None, [_not_executable_problem(processes)]
    top_level = [entry for entry in executable if entry.process_id not in called] or executable
    if len(top_level) == 1:
        return top_level[0], []
    top_ids = {entry.process_id for entry in top_level}
    covering = [entry for entry in collaborations if top_ids <= {process_id for _, process_id in entry.pools}]
    if len(covering) == 1:
        return covering[0], []
    return None, [_ambiguous_problem(top_level, collaborations)]


def _ambiguous_problem(top_level: list[_ProcessEntry], collaborations: list[_ProcessEntry]) -> DeployProblem:
    pool_names = {process_id: pool for entry in collaborations for pool, process_id in entry.pools}
    choices = [
        f"{pool_names[entry.process_id]} ({entry.process_id})" if entry.process_id in pool_names else entry.process_id
        for entry in top_level
    ]
    choices += [f"{entry.name or entry.process_id} ({entry.process_id}，全部泳池 / all pools)" for entry in collaborations]
    listed = ", ".join(choices)
    return DeployProblem(
        "ambiguous_process",
        f"部署包中有多个顶层可执行流程或泳池，请用 process_key 指定要运行的一个：{listed} "
        f"(several top-level executable processes or pools, give process_key to choose one: {listed})",
    )


def _chosen_by_key(processes: list[_ProcessEntry], process_key: str) -> tuple[_ProcessEntry | None, list[DeployProblem]]:
    entry = next((entry for entry in processes if entry.process_id == process_key), None)
    if entry is None:
        ids = ", ".join(entry.process_id for entry in processes) or "-"
        return None, [
            DeployProblem(
                "unknown_process",
                f"部署包中没有流程 “{process_key}”，现有流程：{ids} (no process '{process_key}' in the package; it has: {ids})",
            )
        ]
    if not entry.executable:
        return None, [_not_executable_problem([entry])]
    return entry, []


def _not_executable_problem(processes: list[_ProcessEntry]) -> DeployProblem:
    if not processes:
        return DeployProblem("no_executable_process", "部署包中没有流程 (the package defines no bpmn:process)")
    ids = ", ".join(entry.process_id for entry in processes)
    first = processes[0]
    return DeployProblem(
        "no_executable_process",
        f"流程 {ids} 标记为不可执行，请在建模工具中将要运行的流程设为可执行 "
        f'(no executable process: {ids} marked isExecutable="false"; mark the process to run as executable)',
        file=first.file,
        element_id=first.process_id,
        line=first.line,
    )


# Stage 5: SpiffWorkflow builds the specs.


def _build_specs(package: _Package, chosen: _ProcessEntry) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    # Already validated above with the same schemas; the parser's own validation would only
    # report the last error, without an element id, through a shared unlocked error log.
    parser = SpiffBpmnParser(validator=None)
    locator = package.locator
    # Some library paths warn about deprecated extensions; a warning must not refuse a deploy.
    with warnings.catch_warnings(action="ignore", category=DeprecationWarning):
        for name, tree in package.bpmn.items():
            _library_step(name, locator, lambda: parser.add_bpmn_xml(tree, filename=name))  # noqa: B023  (called at once)
        for name, tree in package.dmn.items():
            _library_step(name, locator, lambda: _add_dmn(parser, tree, name))  # noqa: B023  (called at once)
        if chosen.is_collaboration:
            spec, subprocess_specs = _library_step(chosen.file, locator, lambda: parser.get_collaboration(chosen.process_id))
        else:
            spec = _library_step(chosen.file, locator, lambda: parser.get_spec(chosen.process_id))
            subprocess_specs = _library_step(chosen.file, locator, lambda: parser.get_subprocess_specs(chosen.process_id))
    apply_lane_roles([spec, *subprocess_specs.values()], declared_lane_roles(package.bpmn))
    return spec, dict(subprocess_specs)


def _add_dmn(parser: SpiffBpmnParser, tree: etree._ElementTree, name: str) -> None:
    parser.add_dmn_xml(tree.getroot(), filename=name)
    for dmn_parser in parser.dmn_parsers.values():
        if dmn_parser.filename == name:
            dmn_parser.parse()  # decision tables are otherwise read only when an instance runs


def _library_step(filename: str, locator: ElementLocator, step: Callable[[], _T]) -> _T:
    try:
        return step()
    except ValidationException as error:
        raise DeploymentRefused([validation_problem(error, locator)]) from None
    except Exception as error:
        raise DeploymentRefused([unsupported_problem(error, filename=filename)]) from None
