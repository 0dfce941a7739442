"""Checks, on the XML alone, that everything a package refers to is in the package.

SpiffWorkflow resolves references lazily and stops at the first one it cannot find (some only
when an instance reaches the element, some with a raw TypeError); here every dangling message,
signal, error, escalation, call activity, imported file and decision is reported at once, each
pointing at the element that refers to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import PurePosixPath

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser

from engine.errors import DeployProblem

NS = {"bpmn": BPMN_MODEL_NS}

# Reference attribute -> the kind of root element it must name.
_EVENT_REFERENCES = {
    "messageRef": ("message", "消息"),
    "signalRef": ("signal", "信号"),
    "errorRef": ("error", "错误"),
    "escalationRef": ("escalation", "升级"),
}
_FOLLOWED_IMPORT_TYPES = ("DMN", "BPMN")

Trees = Mapping[str, etree._ElementTree]


def _local(reference: str) -> str:
    """A QName reference such as `tns:Message_1` names the element with id `Message_1`."""
    return reference.rsplit(":", 1)[-1].strip()


def _owner_id(element: etree._Element) -> str | None:
    """Event definitions usually have no id of their own; point at the event holding them."""
    current: etree._Element | None = element
    while current is not None:
        own_id = current.get("id")
        if own_id:
            return own_id
        current = current.getparent()
    return None


def _missing(filename: str, element: etree._Element, message: str, *, own_id_only: bool = False) -> DeployProblem:
    return DeployProblem(
        code="missing_reference",
        message=message,
        file=filename,
        element_id=element.get("id") if own_id_only else _owner_id(element),
        line=element.sourceline,
    )


def _ids_of(trees: Trees, tag: str) -> set[str]:
    return {
        element_id
        for tree in trees.values()
        for element in tree.getroot().iter(f"{{{BPMN_MODEL_NS}}}{tag}")
        if (element_id := element.get("id"))
    }


def _each(trees: Trees, xpath: str) -> Iterator[tuple[str, etree._Element]]:
    for filename, tree in trees.items():
        for element in tree.getroot().xpath(xpath, namespaces=NS):
            yield filename, element


def _event_reference_problems(bpmn: Trees) -> list[DeployProblem]:
    problems = []
    for attribute, (tag, label) in _EVENT_REFERENCES.items():
        known = _ids_of(bpmn, tag)
        for filename, element in _each(bpmn, f"//bpmn:*[@{attribute}]"):
            reference = element.get(attribute, "")
            if _local(reference) not in known:
                problems.append(
                    _missing(
                        filename,
                        element,
                        f"引用的{label}定义 “{reference}” 不存在 ({attribute} '{reference}' names no bpmn:{tag} in the package)",
                    )
                )
    return problems


def _unnamed_message_problems(bpmn: Trees) -> list[DeployProblem]:
    """SpiffWorkflow matches messages by name: unnamed ones would all be the same message."""
    unnamed = {message.get("id") for _, message in _each(bpmn, "//bpmn:message") if message.get("id") and not message.get("name")}
    return [
        DeployProblem(
            code="bpmn_invalid",
            message=f"引用的消息 “{element.get('messageRef')}” 没有名称，引擎按名称匹配消息 "
            f"(message '{element.get('messageRef')}' has no name; messages are matched by name)",
            file=filename,
            element_id=_owner_id(element),
            line=element.sourceline,
        )
        for filename, element in _each(bpmn, "//bpmn:process//bpmn:*[@messageRef]")
        if _local(element.get("messageRef", "")) in unnamed
    ]


def _call_activity_problems(bpmn: Trees) -> list[DeployProblem]:
    processes = _ids_of(bpmn, "process")
    problems = []
    for filename, element in _each(bpmn, "//bpmn:callActivity"):
        called = element.get("calledElement")
        if not called or _local(called) not in processes:
            problems.append(
                _missing(
                    filename,
                    element,
                    f"调用活动引用的流程 “{called or ''}” 不在部署包中 "
                    f"(call activity target process '{called or ''}' is not in the package)",
                )
            )
    return problems


def _import_problems(bpmn: Trees, filenames: set[str]) -> list[DeployProblem]:
    present = {PurePosixPath(name.replace("\\", "/")).name for name in filenames}
    problems = []
    for filename, element in _each(bpmn, "/bpmn:definitions/bpmn:import"):
        import_type = (element.get("importType") or "").upper()
        location = element.get("location") or ""
        if not any(kind in import_type for kind in _FOLLOWED_IMPORT_TYPES):
            continue
        if PurePosixPath(location.replace("\\", "/")).name not in present:
            problems.append(
                _missing(
                    filename,
                    element,
                    f"导入的文件 “{location}” 不在部署包中 (imported file '{location}' is not in the package)",
                    own_id_only=True,
                )
            )
    return problems


def decision_ids(dmn: Trees) -> dict[str, list[str]]:
    """filename -> ids of the decisions it defines, in document order."""
    return {
        filename: [decision_id for d in tree.getroot().findall("{*}decision") if (decision_id := d.get("id"))]
        for filename, tree in dmn.items()
    }


def _business_rule_problems(bpmn: Trees, dmn: Trees) -> list[DeployProblem]:
    known = {d for ids in decision_ids(dmn).values() for d in ids}
    problems = []
    for filename, element in _each(bpmn, "//bpmn:businessRuleTask"):
        decision = BusinessRuleTaskParser.get_decision_ref(element)
        if not decision:
            problems.append(
                _missing(
                    filename,
                    element,
                    "业务规则任务未指定决策，需要 spiffworkflow:calledDecisionId "
                    "(business rule task names no decision: spiffworkflow:calledDecisionId is required)",
                )
            )
        elif decision not in known:
            problems.append(
                _missing(
                    filename,
                    element,
                    f"业务规则任务引用的决策 “{decision}” 不在部署包的 DMN 文件中 "
                    f"(decision '{decision}' is not defined by any DMN file in the package)",
                )
            )
    return problems


def _dmn_shape_problems(dmn: Trees) -> list[DeployProblem]:
    problems = []
    for filename, tree in dmn.items():
        decisions = tree.getroot().findall("{*}decision")
        if len(decisions) == 1:
            continue
        extra = decisions[1] if len(decisions) > 1 else tree.getroot()
        problems.append(
            DeployProblem(
                code="bpmn_unsupported",
                message=f"每个 DMN 文件必须恰好包含一个决策，此文件有 {len(decisions)} 个 "
                f"(each DMN file must define exactly one decision; this one defines {len(decisions)})",
                file=filename,
                element_id=extra.get("id"),
                line=extra.sourceline,
            )
        )
    return problems


def _data_store_problems(bpmn: Trees, implemented: Mapping[str, object]) -> list[DeployProblem]:
    return [
        DeployProblem(
            code="bpmn_unsupported",
            message=f"本引擎不支持数据存储 “{element.get('name') or ''}” "
            f"(data store '{element.get('name') or ''}' has no implementation in this engine)",
            file=filename,
            element_id=element.get("id"),
            line=element.sourceline,
        )
        for filename, element in _each(bpmn, "//bpmn:dataStore")
        if element.get("name") not in implemented
    ]


def reference_problems(bpmn: Trees, dmn: Trees, filenames: set[str], data_stores: Mapping[str, object]) -> list[DeployProblem]:
    """Every reference in the package that points at nothing, and constructs we cannot run."""
    return [
        *_event_reference_problems(bpmn),
        *_unnamed_message_problems(bpmn),
        *_call_activity_problems(bpmn),
        *_import_problems(bpmn, filenames),
        *_business_rule_problems(bpmn, dmn),
        *_dmn_shape_problems(dmn),
        *_data_store_problems(bpmn, data_stores),
    ]
