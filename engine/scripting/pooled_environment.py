"""The script environment the engine runs workflows with: SandboxEnvironment's semantics, evaluated
in the evaluator pool's processes instead of the caller's.

The task data and external context go to an evaluator as JSON; `evaluate` returns the value that
comes back, `execute` puts the task data that comes back in place of the old (new and changed
variables, deletions). An error comes back as the same kind of error, with the script's line; a
script that fails changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.errors import ScriptRejected
from engine.scripting import wire
from engine.scripting.evaluator_pool import EvaluatorPool
from engine.scripting.script_errors import mark_line, rebuilt_error
from engine.scripting.script_output import keep
from engine.scripting.violations import bilingual

_PARTS = {"['context']": "任务数据 (task data)", "['external']": "外部数据 (external data)"}


class PooledSandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, pool: EvaluatorPool, time_limit_s: float):
        super().__init__({})
        self.pool = pool
        self.time_limit_s = time_limit_s

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> Any:
        return self._request("evaluate", expression, context, external_context)["value"]

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> bool:
        updated = self._request("execute", script, context, external_context)["context"]
        for name in [name for name in context if name not in updated]:
            del context[name]
        context.update(updated)
        return True

    def _request(self, op: str, source: str, context: dict[str, Any], external: Mapping[str, Any] | None) -> dict[str, Any]:
        if not isinstance(source, str):
            raise ScriptRejected(bilingual("脚本必须是文本", "a script must be text"))
        message = {"op": op, "source": source, "context": context, "external": dict(external or {})}
        try:
            reply = self.pool.request(message, self.time_limit_s)
        except wire.UnsafeValue as unsafe:
            part = _PARTS.get(unsafe.path.pop()) if unsafe.path else None
            raise ScriptRejected(unsafe.message(part or "")) from None
        error = reply.get("error")
        if error is not None:
            raise _error_from(error)
        for text in reply.get("printed") or []:
            keep(str(text))
        return reply


def _error_from(details: Mapping[str, Any]) -> Exception:
    message = str(details.get("message", ""))
    error: Exception
    if details.get("kind") == "error":
        error = rebuilt_error(str(details.get("type", "")), list(details.get("args") or []), message)
    else:
        error = ScriptRejected(message)
    line = details.get("line")
    if isinstance(line, int) and line > 0:
        mark_line(error, line)
    return error
