"""Parsed specs, by definition id, kept in memory: a deployed version never changes."""
from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import ProcessDefinition
from engine.serialization import SpecBundle, spec_from_json


class SpecCache:
    def __init__(self, capacity: int = 256):
        self._capacity = capacity
        self._specs: OrderedDict[int, SpecBundle] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, definition_id: int) -> SpecBundle:
        with self._lock:
            bundle = self._specs.get(definition_id)
            if bundle is not None:
                self._specs.move_to_end(definition_id)
                return bundle
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"流程定义不存在 (process definition {definition_id} not found)")
        bundle = spec_from_json(definition.spec_json)
        with self._lock:
            self._specs[definition_id] = bundle
            while len(self._specs) > self._capacity:
                self._specs.popitem(last=False)
        return bundle


DEFAULT_SPEC_CACHE = SpecCache()
