"""Every kind of expression a process evaluates is checked when it is deployed: it must be short
enough and compile under the sandbox's policy, and the refusal names the element and its line.

One package holds each kind once; a test swaps one of them for a bad expression."""

from __future__ import annotations

import time
from xml.sax.saxutils import escape, quoteattr

import pytest
from sqlalchemy import select

from engine.definitions.deployment import deploy
from engine.definitions.package_checks import MAX_EXPRESSION_CHARS
from engine.errors import DeploymentRefused, DeployProblem
from engine.instances.execution import MAX_LOOP_CARDINALITY
from engine.models import ProcessDefinition
from engine.procedures.extensions import ProcessExtensions

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="every_expression_definitions" targetNamespace="http://example.org/checks">
  <bpmn:process id="every_expression" name="各类表达式" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:scriptTask id="compute" name="计算">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="prepare"/>
    <bpmn:task id="prepare" name="准备">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>{prescript}</spiffworkflow:preScript>
        <spiffworkflow:postScript>{postscript}</spiffworkflow:postScript>
      </bpmn:extensionElements>
    </bpmn:task>
    <bpmn:sequenceFlow id="f3" sourceRef="prepare" targetRef="route"/>
    <bpmn:exclusiveGateway id="route" default="to_wait"/>
    <bpmn:sequenceFlow id="to_end_early" sourceRef="route" targetRef="end_early">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:endEvent id="end_early"/>
    <bpmn:sequenceFlow id="to_wait" sourceRef="route" targetRef="wait"/>
    <bpmn:intermediateCatchEvent id="wait" name="等待">
      <bpmn:timerEventDefinition id="wait_timer">
        <bpmn:{timer_kind}>{timer}</bpmn:{timer_kind}>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="notify"/>
    <bpmn:serviceTask id="notify" name="通知">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="checks.echo" resultVariable="echoed">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="text" type="str" value={parameter}/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f5" sourceRef="notify" targetRef="gather"/>
    <bpmn:task id="gather" name="逐一收集">
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
        <bpmn:completionCondition>{completion}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:task>
    <bpmn:sequenceFlow id="f6" sourceRef="gather" targetRef="grade"/>
    <bpmn:businessRuleTask id="grade" name="评定">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>grade_decision</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f7" sourceRef="grade" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="grade_definitions"
             name="评定" namespace="http://example.org/checks">
  <decision id="grade_decision" name="评定">
    <decisionTable id="grade_table" hitPolicy="FIRST">
      <input id="score_column" label="得分">
        <inputExpression id="score_expression" typeRef="number">
          <text>{input_expression}</text>
        </inputExpression>
      </input>
      <output id="grade_column" label="等次" name="grade" typeRef="string"/>
      <rule id="rule_high">
        <inputEntry id="high_entry"><text>{input_entry}</text></inputEntry>
        <outputEntry id="high_grade"><text>{output_entry}</text></outputEntry>
      </rule>
      <rule id="rule_other">
        <inputEntry id="other_entry"><text>-</text></inputEntry>
        <outputEntry id="other_grade"><text>"合格"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

GOOD = {
    "script": "score = len(title) * 10",
    "prescript": "attempts = 0",
    "postscript": "attempts = attempts + 1",
    "condition": "score > 100",
    "timer_kind": "timeDuration",
    "timer": '"PT1H"',
    "parameter": "title",
    "cardinality": "3",
    "completion": "attempts >= 3",
    "input_expression": "score",
    "input_entry": ">= 60",
    "output_entry": '"优秀"',
}
EXTENSIONS = ProcessExtensions.of(service_calls={"checks.echo": lambda call: {"text": call.params["text"]}})


def package(**changes: str) -> dict[str, bytes]:
    values = {**GOOD, **changes}
    bpmn_values = {name: escape(value) for name, value in values.items()}
    bpmn_values["parameter"] = quoteattr(values["parameter"])
    bpmn = BPMN.format(**bpmn_values)
    dmn = DMN.format(**{name: escape(value) for name, value in values.items()})
    return {"every_expression.bpmn": bpmn.encode("utf-8"), "grade.dmn": dmn.encode("utf-8")}


def line_of(files: dict[str, bytes], filename: str, element_id: str) -> int:
    lines = files[filename].decode("utf-8").splitlines()
    return next(number for number, text in enumerate(lines, 1) if f'id="{element_id}"' in text)


def refusal(session, clock, files: dict[str, bytes]) -> list[DeployProblem]:  # type: ignore[no-untyped-def]
    with pytest.raises(DeploymentRefused) as refused:
        deploy(session, files, clock=clock, extensions=EXTENSIONS)
    assert session.scalar(select(ProcessDefinition.id)) is None
    return refused.value.problems


def test_the_package_with_good_expressions_deploys(session, clock):
    deployment = deploy(session, package(), clock=clock, extensions=EXTENSIONS)

    assert deployment.created and deployment.definition.key == "every_expression"


@pytest.mark.parametrize("timer_kind", ["timeDate", "timeDuration", "timeCycle"])
def test_every_timer_kind_deploys_with_a_good_expression(session, clock, timer_kind):
    timer = {"timeDate": '"2026-10-08T09:00:00+08:00"', "timeDuration": '"P3D"', "timeCycle": '"R3/PT10H"'}[timer_kind]

    assert deploy(session, package(timer_kind=timer_kind, timer=timer), clock=clock, extensions=EXTENSIONS).created


# (slot, bad expression, file, element the refusal points at, what its message names)
BAD = {
    "script task": ("script", "import os\nscore = os.getcwd()", "every_expression.bpmn", "compute", "import"),
    "pre-script": ("prescript", "attempts = ().__class__", "every_expression.bpmn", "prepare", "__class__"),
    "post-script": ("postscript", "open('/etc/passwd')", "every_expression.bpmn", "prepare", "open()"),
    "flow condition": ("condition", "score.__class__.__bases__", "every_expression.bpmn", "to_end_early", "__class__"),
    "flow condition syntax": ("condition", "score >", "every_expression.bpmn", "to_end_early", "语法"),
    "timer": ("timer", "__import__('os').system('id')", "every_expression.bpmn", "wait", "_"),
    "service parameter": ("parameter", "title.__class__", "every_expression.bpmn", "notify", "__class__"),
    "loop cardinality": ("cardinality", "len(title.__dict__)", "every_expression.bpmn", "gather", "__dict__"),
    "completion condition": ("completion", "eval('1')", "every_expression.bpmn", "gather", "eval()"),
    "dmn input expression": ("input_expression", "score.__class__", "grade.dmn", "score_column", "__class__"),
    "dmn input entry": ("input_entry", "> score.__class__", "grade.dmn", "high_entry", "__class__"),
    "dmn input entry with ?": ("input_entry", "0 < ? < getattr(score, 'real')", "grade.dmn", "high_entry", "getattr()"),
    "dmn output entry": ("output_entry", "open('/etc/hostname').read()", "grade.dmn", "high_grade", "open()"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_expression_of_each_kind_is_refused_at_its_element_and_line(session, clock, case):
    slot, bad, filename, element_id, named = case
    files = package(**{slot: bad})

    problems = refusal(session, clock, files)

    assert [(p.code, p.file, p.element_id) for p in problems] == [("script_rejected", filename, element_id)]
    assert problems[0].line == line_of(files, filename, element_id)
    assert named in problems[0].message and "(" in problems[0].message


@pytest.mark.parametrize("timer_kind", ["timeDate", "timeDuration", "timeCycle"])
def test_a_timer_of_each_kind_that_is_not_python_is_refused(session, clock, timer_kind):
    problems = refusal(session, clock, package(timer_kind=timer_kind, timer="2026-10-08T09:00:00+08:00"))

    assert [(p.code, p.element_id) for p in problems] == [("script_rejected", "wait")]
    assert "定时器" in problems[0].message


def test_a_long_dmn_cell_is_refused_quickly_by_its_length(session, clock):
    files = package(input_entry="?" * 20_000)

    started = time.monotonic()
    problems = refusal(session, clock, files)
    elapsed = time.monotonic() - started

    assert [(p.code, p.file, p.element_id) for p in problems] == [("expression_too_long", "grade.dmn", "high_entry")]
    assert str(MAX_EXPRESSION_CHARS) in problems[0].message and problems[0].line == line_of(files, "grade.dmn", "high_entry")
    assert elapsed < 1.0, f"checking the cell took {elapsed:.2f} s"


def test_a_long_condition_is_refused_by_its_length(session, clock):
    problems = refusal(session, clock, package(condition=" or ".join(["score > 1"] * 300)))

    assert [(p.code, p.element_id) for p in problems] == [("expression_too_long", "to_end_early")]


def test_a_literal_loop_cardinality_above_the_limit_is_refused(session, clock):
    files = package(cardinality="4000")

    problems = refusal(session, clock, files)

    assert [(p.code, p.element_id) for p in problems] == [("cardinality_too_large", "gather")]
    assert "4000" in problems[0].message and str(MAX_LOOP_CARDINALITY) in problems[0].message
    assert problems[0].line == line_of(files, "every_expression.bpmn", "gather")


def test_a_literal_loop_cardinality_at_the_limit_deploys(session, clock):
    assert deploy(session, package(cardinality=str(MAX_LOOP_CARDINALITY)), clock=clock, extensions=EXTENSIONS).created
