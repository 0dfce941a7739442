"""How specs and instance states become JSON, and back.

A spec is serialized once per deployed version; an instance stores only its own state (task tree,
data, events) and is rebuilt against the cached spec object. Task data may hold `Decimal` and
`date` values (money, statutory dates); they round-trip as tagged objects.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SpecBundle = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


class InstanceStateConverter(BpmnWorkflowConverter):
    """Like SpiffWorkflow's workflow converter, minus the specs: those come from the version cache."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], specs: SpecBundle | None = None) -> BpmnWorkflow:
        if specs is None:
            raise ValueError("an instance state can only be restored against its process spec")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = InstanceStateConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]), typename="Decimal")
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]), typename="date")
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _build_serializer()
SERIALIZER_VERSION: str = SERIALIZER.VERSION


def spec_to_json(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    registry = SERIALIZER.registry
    return json.dumps(
        {
            "spec": registry.convert(spec),
            "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()},
        }
    )


def spec_from_json(text: str) -> SpecBundle:
    dct = json.loads(text)
    registry = SERIALIZER.registry
    subprocess_specs = {name: registry.restore(sub) for name, sub in dct["subprocess_specs"].items()}
    return registry.restore(dct["spec"]), subprocess_specs


def state_to_json(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def state_from_json(text: str, specs: SpecBundle) -> BpmnWorkflow:
    dct = json.loads(text)
    SERIALIZER.migrate(dct)
    return SERIALIZER.registry.restore(dct, specs=specs)
