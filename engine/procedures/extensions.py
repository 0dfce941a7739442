"""What process packages add to the engine, as one immutable object handed in, never as globals.

Each process package exports a `ProcessExtensions` naming its step guards, service calls, rule-set
folders and who may start it; the composition root combines them once (a name defined twice is refused) and hands the
result to the instance service and the deployment checks. Tests pass small objects of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from engine.procedures.rule_sets import RuleSetLibrary
from engine.procedures.service_calls import ServiceHandler
from engine.procedures.start_rules import StartRule
from engine.procedures.step_guards import StepGuard

V = TypeVar("V")


class ExtensionConflict(ValueError):
    """Two process packages define the same name: which one a BPMN file means would be a guess."""


@dataclass(frozen=True)
class ProcessExtensions:
    step_guards: Mapping[str, StepGuard] = field(default_factory=lambda: MappingProxyType({}))
    service_calls: Mapping[str, ServiceHandler] = field(default_factory=lambda: MappingProxyType({}))
    rule_sets: RuleSetLibrary = field(default_factory=RuleSetLibrary)
    former_guard_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    start_rules: Mapping[str, StartRule] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(
        cls,
        *,
        step_guards: Mapping[str, StepGuard] | None = None,
        service_calls: Mapping[str, ServiceHandler] | None = None,
        rule_set_folders: Mapping[str, Path] | None = None,
        former_guard_names: Mapping[str, str] | None = None,
        start_rules: Mapping[str, StartRule] | None = None,
    ) -> ProcessExtensions:
        """`former_guard_names` maps a guard's name in versions deployed before it was renamed to its
        name now, so instances running on those versions keep their checks. `start_rules` says, by
        process key, who may start the process by hand and where."""
        return cls(
            MappingProxyType(dict(step_guards or {})),
            MappingProxyType(dict(service_calls or {})),
            RuleSetLibrary(MappingProxyType(dict(rule_set_folders or {}))),
            MappingProxyType(dict(former_guard_names or {})),
            MappingProxyType(dict(start_rules or {})),
        )

    def step_guard(self, name: str) -> StepGuard | None:
        return self.step_guards.get(self.former_guard_names.get(name, name))


NO_EXTENSIONS = ProcessExtensions()


def combine(*parts: ProcessExtensions) -> ProcessExtensions:
    """One extensions object from several; refuses a name that two of them define."""
    return ProcessExtensions.of(
        step_guards=_merged("step guard", [part.step_guards for part in parts]),
        service_calls=_merged("service call", [part.service_calls for part in parts]),
        rule_set_folders=_merged("rule set", [part.rule_sets.folders for part in parts]),
        former_guard_names=_merged("former guard name", [part.former_guard_names for part in parts]),
        start_rules=_merged("start rule", [part.start_rules for part in parts]),
    )


def _merged(kind: str, mappings: list[Mapping[str, V]]) -> dict[str, V]:
    merged: dict[str, V] = {}
    for mapping in mappings:
        for name, value in mapping.items():
            if name in merged:
                raise ExtensionConflict(f"two process packages define the {kind} {name!r}")
            merged[name] = value
    return merged
