"""The script engine every workflow runs with: SpiffWorkflow's PythonScriptEngine, evaluating script
tasks, gateway conditions, DMN cells, timer and multi-instance expressions under the sandbox.

policy.py says what a script may contain, guards.py what it may reach, limits.py what it may
compute; a deadline checked at every loop iteration and function entry bounds how long it may run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task

from engine.errors import ScriptRejected
from engine.scripting.compile_policy import FORBIDDEN_CALLS, check_script
from engine.scripting.environment import SandboxEnvironment
from engine.scripting.evaluator_pool import EvaluatorPool
from engine.scripting.pooled_environment import PooledSandboxEnvironment
from engine.scripting.restricted_names import HELPERS, SAFE_BUILTINS
from engine.scripting.script_errors import script_line
from engine.scripting.script_output import printing_for
from engine.scripting.violations import bilingual

__all__ = ["DEFAULT_TIME_LIMIT_S", "SandboxedScriptEngine", "check_script"]

DEFAULT_TIME_LIMIT_S: float = 1.0


class SandboxedScriptEngine(PythonScriptEngine):
    """With a `pool`, every evaluation runs in one of its evaluator processes, under their time and
    memory limits (pooled_environment.py); without one, in the calling process, where the loop
    checks bound the time but one C call or a large allocation is not bounded.

    `functions` (in-process only) are offered to scripts by name; they run unguarded, so they must
    be trusted code that hands back plain data."""

    def __init__(
        self,
        time_limit_s: float = DEFAULT_TIME_LIMIT_S,
        functions: Mapping[str, Callable] | None = None,
        *,
        pool: EvaluatorPool | None = None,
    ):
        if time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive")
        offered = dict(functions or {})
        _check_offered_functions(offered)
        if pool is not None and offered:
            raise ValueError("functions run in the calling process; they cannot be offered through an evaluator pool")
        environment = PooledSandboxEnvironment(pool, time_limit_s) if pool is not None else SandboxEnvironment(time_limit_s, offered)
        super().__init__(environment=environment)
        self.time_limit_s = time_limit_s

    def execute(self, task: Task, script: str, external_context: Mapping[str, Any] | None = None) -> bool:
        with printing_for(task.task_spec.name):
            return bool(super().execute(task, script, external_context))

    def evaluate(self, task: Task, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        try:
            with printing_for(task.task_spec.name):
                return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as error:
            error.add_note(f"表达式 (expression): {expression}")
            raise
        except Exception as error:
            wrapped = WorkflowTaskException(
                _describe(error, bilingual("表达式求值出错", "error evaluating expression")), task=task, exception=error
            )
            wrapped.add_note(f"表达式 (expression): {expression}")
            raise wrapped from error

    def create_task_exec_exception(self, task: Task, script: str, err: Exception) -> WorkflowTaskException:
        if isinstance(err, SpiffWorkflowException):
            return super().create_task_exec_exception(task, script, err)
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        return WorkflowTaskException(
            _describe(err, bilingual("脚本运行出错", "script failed")),
            task=task,
            exception=err,
            line_number=line_number,
            error_line=error_line,
        )

    def get_error_line_number_and_content(self, script: str, err: BaseException) -> tuple[int, str]:
        line_number = script_line(err)
        lines = script.splitlines() if isinstance(script, str) else []
        error_line = lines[line_number - 1] if 0 < line_number <= len(lines) else ""
        return line_number, error_line


def _check_offered_functions(functions: Mapping[str, Callable]) -> None:
    reserved = FORBIDDEN_CALLS | SAFE_BUILTINS.keys() | HELPERS.keys()
    for name, function in functions.items():
        if not name.isidentifier() or name.startswith("_") or name in reserved or not callable(function):
            raise ValueError(f"cannot offer {name!r} to scripts")


def _describe(error: BaseException, context: str) -> str:
    if isinstance(error, ScriptRejected):
        return error.message
    return f"{context}: {type(error).__name__}: {error}"
