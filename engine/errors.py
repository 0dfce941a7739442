"""The errors the engine raises to its callers: each has a stable code and a user-facing message.

No raw lxml, SpiffWorkflow or SQLAlchemy exception is meant to leave the engine; callers (the API,
CLI, jobs) map these classes to HTTP statuses or exit codes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DeployProblem:
    """One reason a BPMN/DMN file was refused, pointing at where it is."""

    code: str
    message: str
    file: str | None = None
    element_id: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class EngineError(Exception):
    """Base of every error the engine reports to a caller."""

    code = "engine_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DeploymentRefused(EngineError):
    """A process package could not be deployed; `problems` says why, element by element."""

    code = "deployment_refused"

    def __init__(self, problems: list[DeployProblem]):
        summary = "; ".join(p.message for p in problems[:3])
        super().__init__(f"流程定义无法部署 (process definition refused): {summary}")
        self.problems = problems


class NotFound(EngineError):
    code = "not_found"


class Forbidden(EngineError):
    """The person may not do this here: their roles do not allow it (e.g. starting a process the
    package reserves for other roles, or in an organisation of a kind it does not run in)."""

    code = "forbidden"


class Conflict(EngineError):
    """The caller acted on a stale version, or on something another actor already changed."""

    code = "conflict"


class InvalidCommand(EngineError):
    """The command does not apply to the current state (e.g. completing a task that is not open)."""

    code = "invalid_command"


class ScriptRejected(EngineError):
    """A script or expression tried something the sandbox forbids, or ran past its time limit."""

    code = "script_rejected"


class SubmissionRejected(EngineError):
    """Task data that fails its form; `errors` maps each bad field to its messages."""

    code = "submission_invalid"

    def __init__(self, errors: dict[str, list[str]]):
        fields = "、".join(sorted(errors))
        super().__init__(f"提交的数据有误：{fields} (the submission is invalid: {', '.join(sorted(errors))})")
        self.errors = errors


class TaskRefused(EngineError):
    """The process definition refused a completion (a declared output missing, a post-script that
    fails on the submission); the task stays open and the person is told what the step needs."""

    code = "task_refused"

    def __init__(self, message: str, element_id: str):
        super().__init__(message)
        self.element_id = element_id
