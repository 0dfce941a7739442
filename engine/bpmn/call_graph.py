"""Call activities that would call themselves, directly or through other processes.

SpiffWorkflow accepts a process that calls itself and, at run time, expands it again on every
step: the first command then works for minutes to hours with the database locked. A call cycle can
never finish, so deploy refuses it, naming the chain.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS

from engine.bpmn.references import Trees
from engine.errors import DeployProblem

_CALL = f"{{{BPMN_MODEL_NS}}}callActivity"
_PROCESS = f"{{{BPMN_MODEL_NS}}}process"


class _Call:
    def __init__(self, file: str, element: etree._Element, called: str):
        self.file, self.element, self.called = file, element, called


def _calls_in(filename: str, process: etree._Element) -> list[_Call]:
    """A process's call activities, those inside its embedded subprocesses included."""
    return [
        _Call(filename, activity, called.rsplit(":", 1)[-1].strip())
        for activity in process.iter(_CALL)
        if (called := activity.get("calledElement"))
    ]


def _processes(bpmn: Trees) -> Iterator[tuple[str, etree._Element]]:
    for filename, tree in bpmn.items():
        for process in tree.getroot().iterchildren(_PROCESS):
            yield filename, process


def _calls_by_process(bpmn: Trees) -> dict[str, list[_Call]]:
    return {process_id: _calls_in(filename, process) for filename, process in _processes(bpmn) if (process_id := process.get("id"))}


def called_process_ids(bpmn: Trees) -> set[str]:
    """Every process some call activity names, whatever process holds it."""
    return {call.called for filename, process in _processes(bpmn) for call in _calls_in(filename, process)}


def call_cycle_problems(bpmn: Trees) -> list[DeployProblem]:
    """One problem per cycle, pointing at the call activity that closes it."""
    calls = _calls_by_process(bpmn)
    problems: list[DeployProblem] = []
    finished: set[str] = set()

    def visit(process_id: str, path: list[str]) -> None:
        for call in calls.get(process_id, []):
            if call.called in path:
                chain = [*path[path.index(call.called) :], call.called]
                problems.append(_cycle_problem(call, chain))
            elif call.called in calls and call.called not in finished:
                visit(call.called, [*path, call.called])
        finished.add(process_id)

    for process_id in calls:
        if process_id not in finished:
            visit(process_id, [process_id])
    return problems


def _cycle_problem(call: _Call, chain: list[str]) -> DeployProblem:
    shown = " → ".join(chain)
    return DeployProblem(
        code="call_cycle",
        message=f"调用活动形成循环调用：{shown}，流程永远无法结束 (call activities call in a circle: {shown}; it could never finish)",
        file=call.file,
        element_id=call.element.get("id"),
        line=call.element.sourceline,
    )
