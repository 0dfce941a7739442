"""Every real-world file in the corpus deploys or is refused cleanly; none crashes the loader.

The corpus is a copy kept in the repository (`tests/data/corpus/`, with its licences and
attribution), so a fresh clone tests itself. Its absence is a failure, not a skip: a green run must
mean the corpus was actually read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from engine.bpmn.loading import LoadedProcess, load_process_package
from engine.errors import DeploymentRefused, DeployProblem
from tests.helpers.paths import CORPUS_DIR

MISSING_CORPUS = f"BPMN corpus not found at {CORPUS_DIR}: the repository's copy (see its README.md) is missing"

# Files that only make sense together: the package a user would upload, and its process key.
PACKAGES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "tenant-shared-definitions": (
        ("camunda/tenant-shared-definitions/mainProcess.bpmn", "camunda/tenant-shared-definitions/subProcess.bpmn"),
        None,
    ),
    "job-announcement": (
        (
            "camunda/job-announcement/camunda-testing-job-announcement.bpmn",
            "camunda/job-announcement/camunda-testing-job-announcement-publication.bpmn",
        ),
        None,
    ),
    "message-start": (
        ("camunda/message-start/message_start_process.bpmn", "camunda/message-start/instantiating_process.bpmn"),
        "Message_Start_Process",
    ),
    "miwg-C.9": (
        ("miwg/reference/C.9.0.bpmn", "miwg/reference/C.9.1.bpmn", "miwg/reference/C.9.2.bpmn"),
        None,
    ),
}


@dataclass(frozen=True)
class Outcome:
    loaded: LoadedProcess | None = None
    problems: tuple[DeployProblem, ...] = ()
    crash: str | None = None

    @property
    def codes(self) -> set[str]:
        return {problem.code for problem in self.problems}


def corpus_files() -> list[Path]:
    if not CORPUS_DIR.is_dir():
        return []
    return sorted(path for path in CORPUS_DIR.rglob("*") if path.suffix in {".bpmn", ".dmn"})


def corpus_id(path: Path) -> str:
    return path.relative_to(CORPUS_DIR).as_posix()


def require_corpus() -> None:
    if not corpus_files():
        pytest.fail(MISSING_CORPUS)


@cache
def outcome(relative_paths: tuple[str, ...], process_key: str | None = None) -> Outcome:
    files = {Path(name).name: (CORPUS_DIR / name).read_bytes() for name in relative_paths}
    try:
        return Outcome(loaded=load_process_package(files, process_key))
    except DeploymentRefused as refused:
        return Outcome(problems=tuple(refused.problems))
    except Exception as error:  # the one thing this suite exists to catch
        return Outcome(crash=f"{type(error).__name__}: {error}")


def assert_clean(result: Outcome) -> None:
    assert result.crash is None, f"loader crashed: {result.crash}"
    if result.loaded is not None:
        assert result.loaded.process_key and result.loaded.spec is not None
        return
    assert result.problems, "refused without saying why"
    for problem in result.problems:
        assert isinstance(problem, DeployProblem)
        assert isinstance(problem.code, str) and problem.code
        assert isinstance(problem.message, str) and problem.message
        assert problem.file is None or isinstance(problem.file, str)
        assert problem.element_id is None or isinstance(problem.element_id, str)
        assert problem.line is None or (type(problem.line) is int and problem.line > 0)


def test_corpus_directory_is_present():
    require_corpus()


@pytest.mark.parametrize("path", corpus_files() or [None], ids=lambda path: corpus_id(path) if path else "missing")
def test_corpus_file_deploys_or_is_refused_cleanly(path):
    if path is None:
        pytest.fail(MISSING_CORPUS)

    assert_clean(outcome((corpus_id(path),)))


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_corpus_package_deploys_or_is_refused_cleanly(package):
    require_corpus()
    names, process_key = PACKAGES[package]

    assert_clean(outcome(names, process_key))


def test_corpus_summary(capsys):
    require_corpus()
    results = {corpus_id(path): outcome((corpus_id(path),)) for path in corpus_files()}
    deployed = sorted(name for name, result in results.items() if result.loaded is not None)
    refused = [name for name, result in results.items() if result.problems]
    crashed = [name for name, result in results.items() if result.crash]

    with capsys.disabled():
        print(f"\ncorpus: {len(deployed)} deployed, {len(refused)} refused, {len(crashed)} crashed")
        print("corpus deployed: " + ", ".join(deployed))

    assert not crashed, crashed
    assert deployed, "no corpus file deployed: the loader refuses everything"


@pytest.mark.parametrize(
    ("name", "expected_codes"),
    [
        # Messages without a name (the base parser's raw TypeError), all processes non-executable.
        ("miwg/reference/C.2.0.bpmn", {"no_executable_process", "bpmn_invalid"}),
        # Imports "Vacation Approval.dmn", which the suite does not contain.
        ("miwg/reference/C.8.0.bpmn", {"no_executable_process", "missing_reference"}),
        ("miwg/reference/C.8.1.bpmn", {"missing_reference"}),
        # Business-rule task with a Camunda/Zeebe decision reference only.
        ("miwg/reference/C.7.0.bpmn", {"missing_reference"}),
        # Several decisions in one file (SpiffWorkflow's raw AttributeError), and no process.
        ("camunda/dmn-engine-drg__dinnerDecisions.dmn", {"no_executable_process", "bpmn_unsupported"}),
        # Data stores: SpiffWorkflow has no implementation for them.
        ("miwg/reference/C.1.1.bpmn", {"bpmn_unsupported"}),
        # Call activity whose target lives in a file not uploaded with it.
        ("camunda/tenant-shared-definitions/mainProcess.bpmn", {"missing_reference"}),
        ("miwg/reference/A.1.0.bpmn", {"no_executable_process"}),
        ("miwg/tools/Bonita_BPM_7.2.3__C.1.0-export.bpmn", {"bpmn_schema"}),
        # a collaboration is taken whole: one of its two pools has a gateway flow without a condition
        ("miwg/tools/ARIS_10.2025.07__C.2.0-export.bpmn", {"bpmn_invalid"}),
        ("camunda/quarkus-spin-plugin-example__process.bpmn", {"bpmn_invalid"}),
    ],
)
def test_known_corpus_cases_are_refused_with_their_codes(name, expected_codes):
    require_corpus()

    result = outcome((name,))

    assert result.loaded is None
    assert result.codes == expected_codes, [problem.message for problem in result.problems]


def test_known_missing_decision_import_points_at_its_line():
    require_corpus()

    result = outcome(("miwg/reference/C.8.1.bpmn",))

    imports = [problem for problem in result.problems if "Vacation Approval.dmn" in problem.message]
    assert len(imports) == 1
    assert imports[0].file == "C.8.1.bpmn" and imports[0].line == 3


def test_collaboration_participant_deploys_when_named():
    require_corpus()
    name = "miwg/tools/ARIS_10.2025.07__C.2.0-export.bpmn"

    assert outcome((name,), "Process_ID-519f1d98-723b-11e9-69f8-f48e38b53512").loaded is not None
    assert outcome((name,), "Process_ID-519f1d95-723b-11e9-69f8-f48e38b53512").codes == {"bpmn_invalid"}


@pytest.mark.parametrize(
    ("package", "process_key"),
    [("tenant-shared-definitions", "mainProcess"), ("message-start", "Message_Start_Process")],
)
def test_corpus_packages_that_deploy(package, process_key):
    require_corpus()

    result = outcome(*PACKAGES[package])

    assert result.loaded is not None, [problem.message for problem in result.problems]
    assert result.loaded.process_key == process_key
