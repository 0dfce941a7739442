"""Lanes drawn for people's jobs, mapped to the roles the engine offers tasks to.

A lane named for a role (`branch_secretary`, `支部书记`) offers its user tasks to that role. Models
drawn in other tools name lanes for jobs ("Approver", "审核人"); such a lane declares the role it
stands for with the same property a user task uses, on the lane itself:

    <bpmn:lane name="Approver"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="candidate_role" value="branch_secretary"/> …

SpiffWorkflow keeps only a lane's name on its tasks, so the declared role is copied onto each user
task of the lane that does not name a role of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.task_spec import SPIFFWORKFLOW_NSMAP

from engine.bpmn.references import Trees

SPIFF_NS = SPIFFWORKFLOW_NSMAP["spiffworkflow"]
_ROLE_PROPERTY = f"{{{BPMN_MODEL_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property[@name='candidate_role']"


def declared_lane_roles(bpmn: Trees) -> dict[str, str]:
    """Lane name -> the role its properties declare, for the lanes that declare one."""
    roles: dict[str, str] = {}
    for tree in bpmn.values():
        for lane in tree.getroot().iter(f"{{{BPMN_MODEL_NS}}}lane"):
            declared = lane.find(_ROLE_PROPERTY)
            name, role = lane.get("name"), None if declared is None else declared.get("value")
            if name and role:
                roles[name.strip()] = role.strip()
    return roles


def apply_lane_roles(specs: Iterable[BpmnProcessSpec], roles: Mapping[str, str]) -> None:
    for spec in specs:
        for task_spec in spec.task_specs.values():
            lane = (getattr(task_spec, "lane", None) or "").strip()
            extensions = getattr(task_spec, "extensions", None)
            if lane in roles and isinstance(extensions, dict):
                extensions.setdefault("properties", {}).setdefault("candidate_role", roles[lane])
