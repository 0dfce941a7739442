"""Parsed specs and forms, by definition id, kept in memory: a deployed version never changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from engine.definitions.deployment import forms_of
from engine.errors import NotFound
from engine.instances.execution import limit_multi_instances
from engine.instances.serialization import SpecBundle, spec_from_json
from engine.models import ProcessDefinition
from forms import FormDefinition

V = TypeVar("V")


class _Memo(OrderedDict[int, V]):
    """A bounded, least-recently-used map."""

    def __init__(self, capacity: int):
        super().__init__()
        self.capacity = capacity
        self.lock = threading.Lock()

    def get_or_build(self, key: int, build: Callable[[], V]) -> V:
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = build()
        with self.lock:
            self[key] = value
            while len(self) > self.capacity:
                self.popitem(last=False)
        return value


class SpecCache:
    def __init__(self, capacity: int = 256):
        self._specs: _Memo[SpecBundle] = _Memo(capacity)
        self._forms: _Memo[dict[str, FormDefinition]] = _Memo(capacity)

    def get(self, session: Session, definition_id: int) -> SpecBundle:
        return self._specs.get_or_build(definition_id, lambda: _runnable(spec_from_json(_definition(session, definition_id).spec_json)))

    def forms(self, session: Session, definition_id: int) -> dict[str, FormDefinition]:
        return self._forms.get_or_build(definition_id, lambda: forms_of(_definition(session, definition_id)))


def _runnable(specs: SpecBundle) -> SpecBundle:
    spec, subprocess_specs = specs
    limit_multi_instances([spec, *subprocess_specs.values()])
    return specs


def _definition(session: Session, definition_id: int) -> ProcessDefinition:
    definition = session.get(ProcessDefinition, definition_id)
    if definition is None:
        raise NotFound(f"流程定义不存在 (process definition {definition_id} not found)")
    return definition


DEFAULT_SPEC_CACHE = SpecCache()
