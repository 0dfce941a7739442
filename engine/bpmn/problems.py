"""Turns what lxml and SpiffWorkflow raise into DeployProblems a process owner can act on.

Library messages are English and often name no element; here they get a Chinese explanation
first, the original text in parentheses, and the element id and line looked up in the trees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.errors import DeployProblem

MAX_SCHEMA_PROBLEMS_PER_FILE = 20
_MAX_DETAIL_CHARS = 300

# Substrings of SpiffWorkflow's parser messages, with what they mean for this engine.
_CHINESE_HINTS: tuple[tuple[str, str], ...] = (
    ("A Service Task must have an operator", "服务任务缺少 spiffworkflow:serviceTaskOperator 定义"),
    ("Non-default exclusive outgoing sequence flow without condition", "排他网关的非默认出口连线缺少条件"),
    ("Multiple outgoing flows are not supported", "该类任务不支持多条出口连线（隐式分支），请改用网关"),
    ("No start event found", "流程缺少开始事件"),
    ("Exactly one start event is required", "子流程必须恰好有一个开始事件"),
    ("A SubWorkflow Must contain an End event", "子流程缺少结束事件"),
    ("multiinstance task must specify", "多实例任务缺少实例数量或输入集合"),
    ("has no implementation", "本引擎不支持该数据存储 (data store)"),
    ("Time Specification Error", "定时器表达式无法识别，请使用 ISO 8601 格式"),
    ("Cannot resolve data", "数据关联引用了不存在的数据对象"),
    ("Expected a", "事件引用的消息、信号、错误或升级定义不存在"),
    ("is not executable", "被调用的流程未标记为可执行 (isExecutable)"),
    ("was not found", "被调用的流程不在部署包中"),
    ("Duplicate process ID", "部署包中有重复的流程 ID"),
    ("There is no support implemented for this task type", "本引擎不支持该元素类型"),
    ("Multiple decision tables are not current supported", "每个 DMN 决策只能包含一个决策表"),
)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL_CHARS else text[: _MAX_DETAIL_CHARS - 1] + "…"


def _hint_for(detail: str) -> str:
    for fragment, hint in _CHINESE_HINTS:
        if fragment in detail:
            return hint
    return "BPMN 模型无效"


class ElementLocator:
    """Finds elements of the uploaded files by id or by line, to point problems at them."""

    def __init__(self, trees: Mapping[str, etree._ElementTree]):
        self._trees = trees

    def line_of(self, element_id: str | None, filename: str | None = None) -> int | None:
        if not element_id:
            return None
        names = [filename] if filename is not None and filename in self._trees else list(self._trees)
        for name in names:
            for element in self._trees[name].iter():
                if isinstance(element.tag, str) and element.get("id") == element_id:
                    return element.sourceline
        return None

    def flow_between(self, source_id: str, target_id: str, filename: str | None = None) -> str | None:
        """The id of the sequence flow from one element to another (a gateway's conditional exit)."""
        names = [filename] if filename is not None and filename in self._trees else list(self._trees)
        for name in names:
            for flow in self._trees[name].getroot().iter(f"{{{BPMN_MODEL_NS}}}sequenceFlow"):
                if flow.get("sourceRef") == source_id and flow.get("targetRef") == target_id:
                    return flow.get("id")
        return None

    def file_of(self, element_id: str | None) -> str | None:
        for name, tree in self._trees.items():
            if element_id and tree.getroot().xpath("boolean(//*[@id=$id])", id=element_id):
                return name
        return None

    def id_at_line(self, filename: str, line: int | None) -> str | None:
        """The id of the innermost element that starts at or before `line` (or its ancestor)."""
        tree = self._trees.get(filename)
        if tree is None or line is None:
            return None
        found = None
        for element in tree.iter():
            if not isinstance(element.tag, str) or element.sourceline is None:
                continue
            if element.sourceline > line:
                break
            found = element
        while found is not None and found.get("id") is None:
            found = found.getparent()
        return None if found is None else found.get("id")


def schema_problems(filename: str, errors: Iterable[object], locator: ElementLocator) -> list[DeployProblem]:
    problems = []
    for entry in list(errors)[:MAX_SCHEMA_PROBLEMS_PER_FILE]:
        line = getattr(entry, "line", None) or None
        detail = _shorten(str(getattr(entry, "message", entry)))
        problems.append(
            DeployProblem(
                code="bpmn_schema",
                message=f"不符合 BPMN/DMN 规范 (schema validation error): {detail}",
                file=filename,
                element_id=locator.id_at_line(filename, line),
                line=line,
            )
        )
    return problems


def _wrapped_raw_error(error: ValidationException) -> BaseException | None:
    """SpiffWorkflow's task parser re-raises any exception as ValidationException(repr(ex))."""
    cause = error.__context__
    if cause is None or isinstance(cause, ValidationException):
        return None
    return cause if str(error).startswith(type(cause).__name__ + "(") else None


def validation_problem(error: ValidationException, locator: ElementLocator) -> DeployProblem:
    raw = _wrapped_raw_error(error)
    element_id = str(getattr(error, "id", "") or "") or None
    filename = str(getattr(error, "file_name", "") or "") or locator.file_of(element_id)
    line = getattr(error, "line_number", None)
    if not isinstance(line, int) or line <= 0:
        line = locator.line_of(element_id, filename)
    if raw is not None:
        return unsupported_problem(raw, filename=filename, element_id=element_id, line=line)
    detail = _shorten(str(error).rstrip(". ") or type(error).__name__)
    return DeployProblem(
        code="bpmn_invalid",
        message=f"{_hint_for(detail)} (invalid BPMN: {detail})",
        file=filename or None,
        element_id=element_id,
        line=line,
    )


def unsupported_problem(
    error: BaseException,
    filename: str | None = None,
    element_id: str | None = None,
    line: int | None = None,
) -> DeployProblem:
    detail = _shorten(f"{type(error).__name__}: {error}")
    return DeployProblem(
        code="bpmn_unsupported",
        message="本引擎无法解析该文件中的某个元素，可能使用了不受支持的 BPMN/DMN 特性 "
        f"(the file uses a BPMN/DMN construct this engine cannot read: {detail})",
        file=filename or None,
        element_id=element_id,
        line=line,
    )
