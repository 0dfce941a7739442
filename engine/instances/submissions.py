"""Where a person's submission lands in the task data, as the spiff flavour defines it.

A user task that declares `spiffworkflow:variableName` receives the submission as one value under
that name. Otherwise the submission is merged into the task data: a nested mapping it mentions is
merged key by key, so values it leaves out are kept. Unlike SpiffWorkflow's own merge, a list is
replaced, not united with the old one: a revised choice of channels is the whole new choice.
Nested mappings are rebuilt, never changed in place: SpiffWorkflow copies data from task to task
shallowly, so an earlier task may hold the very same nested dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.task import Task


def store_submission(task: Task, submission: Mapping[str, Any]) -> None:
    variable = getattr(task.task_spec, "variable", None)
    if variable:
        task.set_data(**{variable: dict(submission)})
    else:
        task.set_data(**merged(task.data, submission))


def merged(current: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(current)
    for key, value in update.items():
        old = result.get(key)
        result[key] = merged(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return result
