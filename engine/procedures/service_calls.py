"""Service calls: BPMN `serviceTask`s whose operation is a Python function a process package brings.

A process calls e.g. `disclosure.publish`; the handler, named in the package's extensions, runs
inside the command's transaction with the session, the instance and the evaluated parameters, and
returns a JSON-able dict that lands in the task data under the task's result variable. Operation
names are checked at deploy time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.audit import jsonable
from engine.clock import Clock
from engine.models import ProcessInstance
from engine.procedures.rule_sets import RuleSetLibrary
from engine.scripting.evaluator_pool import shared_pool
from engine.scripting.sandbox import SandboxedScriptEngine
from engine.sealing import Sealer

# Starts another process in the instance's organisation within the running command's transaction:
# (process key, data, business key) -> the new instance. Raises NotFound, writing nothing, when that
# process is not deployed.
ProcessStarter = Callable[[str, Mapping[str, Any], str | None], ProcessInstance]


@dataclass(frozen=True)
class ServiceCall:
    session: Session
    clock: Clock
    instance: ProcessInstance
    actor_id: int | None
    params: Mapping[str, Any]
    task_data: Mapping[str, Any]
    start_process: ProcessStarter
    rule_sets: RuleSetLibrary
    sealer: Sealer | None = None  # the app's, for values kept sealed in the database; None outside an app


ServiceHandler = Callable[[ServiceCall], dict[str, Any]]


ServiceDispatch = Callable[[str, Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


def dispatching_script_engine(dispatch: ServiceDispatch) -> SandboxedScriptEngine:
    """The sandboxed script engine, evaluating in this process's evaluator pool, with service tasks
    routed to `dispatch(name, params, task_data)` (which runs here, in the engine's process)."""
    return _ServiceCallingEngine(dispatch)


class _ServiceCallingEngine(SandboxedScriptEngine):
    def __init__(self, dispatch: ServiceDispatch):
        super().__init__(pool=shared_pool())
        self._dispatch = dispatch

    def call_service(self, task: Any, operation_name: str = "", operation_params: Mapping[str, Any] | None = None, **_: Any) -> str:
        params = {name: spec.get("value") for name, spec in (operation_params or {}).items()}
        return json.dumps(jsonable(self._dispatch(operation_name, params, task.data)), ensure_ascii=False)
