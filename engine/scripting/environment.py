"""Where a sandboxed script runs: the task data as plain names, as in SpiffWorkflow's
TaskDataEnvironment, plus the guards, whitelisted builtins and helpers the sandbox provides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from engine.errors import ScriptRejected
from engine.scripting.compile_policy import Mode, compile_script
from engine.scripting.restricted_names import HELPERS, SAFE_BUILTINS, STATIC_GUARDS, deadline_checker
from engine.scripting.script_output import script_print
from engine.scripting.violations import SandboxViolation, bilingual


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment's semantics, evaluated under the sandbox.

    As in SpiffWorkflow: names resolve to task data first, then to data objects (external context),
    injected functions and helpers; after `execute`, new and changed variables and deletions go back
    into the task data, while functions, external context and anything callable do not. One
    difference: a task data variable may shadow a helper (`date` is a likely form field), where
    SpiffWorkflow would refuse to run the script.
    """

    def __init__(self, time_limit_s: float, functions: Mapping[str, Callable[..., Any]]):
        super().__init__({**HELPERS, **functions})
        self.time_limit_s = time_limit_s
        self.functions = dict(functions)

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> Any:
        code = self._compiled(expression, "eval")
        self._prepare_context(context)
        return self._run(code, self._scope(context, external_context or {}))

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> bool:
        code = self._compiled(script, "exec")
        external = external_context or {}
        self._refuse_overwrites(context, external)
        self._prepare_context(context)
        scope = self._scope(context, external)
        try:
            self._run(code, scope)
        finally:
            self._write_back(scope, context, external)
        return True

    @staticmethod
    def _compiled(source: str, mode: Mode) -> CodeType:
        compiled = compile_script(source, mode)
        if compiled.code is None:
            raise ScriptRejected(compiled.problem or "")
        return compiled.code

    def _scope(self, context: Mapping[str, Any], external: Mapping[str, Any]) -> dict[str, Any]:
        scope: dict[str, Any] = dict(HELPERS)
        scope.update(self.functions)
        scope.update(external)
        scope.update(context)
        # Last, so that no task data key can stand in for a guard.
        scope.update(STATIC_GUARDS)
        scope["print"] = script_print
        scope["_tick_"] = deadline_checker(self.time_limit_s)
        scope["__builtins__"] = SAFE_BUILTINS
        return scope

    @staticmethod
    def _run(code: CodeType, scope: dict[str, Any]) -> Any:
        try:
            return eval(code, scope)  # noqa: S307 - compiled under the sandbox policy, guarded scope
        except SandboxViolation as violation:
            raise ScriptRejected(violation.message) from violation

    def _refuse_overwrites(self, context: Mapping[str, Any], external: Mapping[str, Any]) -> None:
        clashes = sorted((set(self.functions) | set(external)) & set(context))
        if clashes:
            raise ScriptRejected(
                bilingual("任务数据中的变量与预置函数同名，请改名", "task data overwrites predefined functions", ", ".join(clashes))
            )

    def _write_back(self, scope: Mapping[str, Any], context: dict[str, Any], external: Mapping[str, Any]) -> None:
        for name, value in scope.items():
            if name.startswith("_") or callable(value) or name in self.functions or name in external:
                continue
            if context.get(name, _ABSENT) is not value:
                context[name] = value
        for name in [name for name in context if name not in scope]:
            del context[name]


_ABSENT = object()
