"""Task data the instance state can be saved with, and restored from.

A script can build values the state cannot hold: nesting deep enough that SpiffWorkflow's
recursive restore (or the JSON encoder) runs out of stack, so the instance saves but can never be
loaded again; an integer too long for str(); NaN, which is not JSON; an object the serializer does
not know. After engine steps each such variable is taken out of the data and reported, so the
instance stops with an incident naming it instead of a failed command or an instance nobody can
advance.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, MutableMapping
from types import ModuleType
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.instances.execution import IncidentReport
from engine.instances.serialization import SERIALIZER

# Far beyond any form (request bodies stop at 32 levels) and well within SpiffWorkflow's recursive
# restore, which fails near 500 levels.
MAX_DATA_DEPTH = 64
# str() refuses integers of more than 4300 digits (sys.int_info.default_max_str_digits).
MAX_INTEGER_BITS = 14_000
_KEY_TYPES = (str, int, float, bool, type(None))
_PLAIN = frozenset({str, bool, type(None)})  # always storable: no need to walk them


def take_out_unstorable_data(workflow: BpmnWorkflow) -> IncidentReport | None:
    """Remove every variable the state could not store; report the first, at the step that made it."""
    reasons: dict[int, str | None] = {}  # a value copied into many tasks is judged once
    found: tuple[str, str, str] | None = None
    for element_id, data in _data_of(workflow):
        for name in list(data):
            value = data[name]
            if type(value) in _PLAIN:
                continue
            if id(value) not in reasons:
                reasons[id(value)] = unstorable_reason(value)
            reason = reasons[id(value)]
            if reason is not None:
                del data[name]
                found = found or (str(name), element_id, reason)
    if found is None:
        return None
    name, element_id, reason = found
    zh, en = reason.split("|")
    return IncidentReport(
        "data_unstorable",
        f"流程数据无法保存：变量 {name} {zh}，已从流程数据中移除"
        f" (the process data cannot be stored: variable {name!r} {en}; it was removed)",
        element_id,
    )


def _data_of(workflow: BpmnWorkflow) -> Iterator[tuple[str, MutableMapping[str, Any]]]:
    """Each task's data (in the order the tasks were created) and each workflow's own."""
    for process in (workflow, *workflow.subprocesses.values()):
        for task in process.tasks.values():
            yield task.task_spec.name, task.data
        yield process.spec.name, process.data


def unstorable_reason(value: Any) -> str | None:
    """Why the state could not hold `value` ("中文|english"), or None. Walks without recursion; a
    container met again deeper down (shared, or part of a cycle) is walked again only deeper, so a
    cycle ends at the depth limit."""
    deepest_seen: dict[int, int] = {}
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list, tuple, set)):
            if depth > MAX_DATA_DEPTH:
                return f"嵌套超过 {MAX_DATA_DEPTH} 层（或引用了自身）|is nested more than {MAX_DATA_DEPTH} levels deep (or contains itself)"
            if deepest_seen.get(id(item), 0) >= depth:
                continue
            deepest_seen[id(item)] = depth
            if isinstance(item, dict):
                if not all(isinstance(key, _KEY_TYPES) for key in item):
                    return "的键不是文本或数字|has a key that is neither text nor a number"
                pending.extend((child, depth + 1) for child in item.values())
            else:
                pending.extend((child, depth + 1) for child in item)
        elif (reason := _scalar_reason(item)) is not None:
            return reason
    return None


def _scalar_reason(item: Any) -> str | None:
    if isinstance(item, (str, bool)) or item is None:
        return None
    if isinstance(item, int):
        return "的整数位数过多|holds an integer with too many digits" if item.bit_length() > MAX_INTEGER_BITS else None
    if isinstance(item, float):
        return None if math.isfinite(item) else "含有 NaN 或无穷大|holds NaN or an infinity"
    if type(item) in SERIALIZER.registry.typenames:  # Decimal, date, datetime, timedelta, UUID …
        return None
    if callable(item) or isinstance(item, ModuleType):  # the serializer leaves these out
        return None
    return f"的类型 {type(item).__name__} 无法保存|holds a {type(item).__name__}, which cannot be stored"
