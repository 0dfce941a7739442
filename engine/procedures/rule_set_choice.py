"""Which regulation version a new instance runs under, kept by the instance to its end.

A process names its rule set on its start event (`rule_set` property). The version is, in order:
the one the starter asked for, the one the organisation (or the nearest organisation above it)
chose, or the latest one in force on the day.
"""

from __future__ import annotations

from datetime import date

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from engine.errors import InvalidCommand
from engine.models import Organization
from engine.procedures.rule_sets import RuleSetLibrary


def declared_rule_set(spec: BpmnProcessSpec) -> str | None:
    for task_spec in spec.task_specs.values():
        name = (getattr(task_spec, "extensions", None) or {}).get("properties", {}).get("rule_set")
        if name:
            return str(name)
    return None


def choose_version(rule_sets: RuleSetLibrary, rule_set: str, organization: Organization, requested: object, day: date) -> str:
    versions = rule_sets.versions(rule_set)
    if requested is not None:
        if requested not in versions:
            raise InvalidCommand(
                f"规则集 {rule_set} 没有版本 {requested!r}，可选：{'、'.join(versions)} "
                f"(no version {requested!r} of {rule_set}; choose one of {', '.join(versions)})"
            )
        return str(requested)
    for unit in (organization, *organization.ancestors()):
        chosen = (unit.rule_set_choices or {}).get(rule_set)
        if chosen in versions:
            return str(chosen)
    return rule_sets.version_in_force(rule_set, day)
