"""The hardened loader: what deploys, and how each kind of bad package is refused."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from engine.bpmn.loading import MAX_FILE_BYTES, MAX_PACKAGE_BYTES, LoadedProcess, load_process_package
from engine.errors import DeploymentRefused, DeployProblem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "loading"

MINIMAL_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
{prolog}<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="Definitions_1" targetNamespace="http://example.org">
  <bpmn:process id="payload" isExecutable="true">
    <bpmn:documentation>{body}</bpmn:documentation>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""

XXE_PROLOG = '<!DOCTYPE bpmn:definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
BILLION_LAUGHS_PROLOG = (
    "<!DOCTYPE bpmn:definitions [\n"
    '  <!ENTITY lol "lol">\n'
    + "".join(f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n' for n in range(1, 10))
    + "]>\n"
)


def fixture_files(*names: str) -> dict[str, bytes]:
    return {name: (FIXTURES / name).read_bytes() for name in names}


def minimal_process(prolog: str = "", body: str = "") -> bytes:
    return MINIMAL_PROCESS.format(prolog=prolog, body=body).encode("utf-8")


def assert_well_formed(problem: DeployProblem) -> None:
    assert isinstance(problem, DeployProblem)
    assert isinstance(problem.code, str) and problem.code
    assert isinstance(problem.message, str) and problem.message
    assert problem.file is None or isinstance(problem.file, str)
    assert problem.element_id is None or (isinstance(problem.element_id, str) and problem.element_id)
    assert problem.line is None or (type(problem.line) is int and problem.line > 0)


def refusal(files: dict[str, bytes], process_key: str | None = None) -> list[DeployProblem]:
    with pytest.raises(DeploymentRefused) as refused:
        load_process_package(files, process_key)
    problems = refused.value.problems
    assert problems
    for problem in problems:
        assert_well_formed(problem)
    return problems


def only_problem(files: dict[str, bytes], process_key: str | None = None) -> DeployProblem:
    problems = refusal(files, process_key)
    assert len(problems) == 1, problems
    return problems[0]


def line_of(filename: str, text: str) -> int:
    lines = (FIXTURES / filename).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_valid_process_loads_with_its_spec_and_sources():
    files = fixture_files("disclosure_review.bpmn")

    loaded = load_process_package(files)

    assert isinstance(loaded, LoadedProcess)
    assert loaded.process_key == "disclosure_review"
    assert loaded.name == "党务公开审核"
    assert isinstance(loaded.spec, BpmnProcessSpec)
    assert {"Task_draft", "Task_review", "Gateway_decision"} <= set(loaded.spec.task_specs)
    assert loaded.subprocess_specs == {}
    assert loaded.sources == files


def test_spiffworkflow_extensions_are_read():
    loaded = load_process_package(fixture_files("disclosure_review.bpmn"))

    properties = loaded.spec.task_specs["Task_review"].extensions["properties"]
    assert properties == {"formKey": "disclosure_review"}


def test_call_activity_target_in_the_package_becomes_a_subprocess_spec():
    loaded = load_process_package(fixture_files("member_development.bpmn", "probation_review.bpmn"))

    assert loaded.process_key == "member_development"
    assert set(loaded.subprocess_specs) == {"probation_review"}
    assert isinstance(loaded.subprocess_specs["probation_review"], BpmnProcessSpec)


def test_business_rule_task_loads_with_its_dmn_file():
    loaded = load_process_package(fixture_files("appraisal_grading.bpmn", "appraisal_grade.dmn"))

    assert loaded.process_key == "appraisal_grading"
    assert "Task_grade" in loaded.spec.task_specs


def test_malformed_xml_is_a_syntax_error_on_its_line():
    broken = b'<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="x">\n  <bpmn:process id="p">\n</bpmn:definitions>\n'

    problem = only_problem({"broken.bpmn": broken})

    assert problem.code == "xml_syntax"
    assert problem.file == "broken.bpmn"
    assert problem.line == 4
    assert problem.message.startswith("XML 语法错误 (XML syntax error)")


@pytest.mark.parametrize(
    "prolog",
    [
        pytest.param("<!DOCTYPE bpmn:definitions>\n", id="plain-doctype"),
        pytest.param(XXE_PROLOG, id="xxe"),
        pytest.param(BILLION_LAUGHS_PROLOG, id="billion-laughs"),
    ],
)
def test_any_doctype_is_refused_before_parsing(prolog):
    body = "&lol9;" if "lol9" in prolog else "&secret;" if "secret" in prolog else ""
    started = time.monotonic()

    problem = only_problem({"evil.bpmn": minimal_process(prolog, body)})

    assert time.monotonic() - started < 1.0
    assert problem.code == "doctype_forbidden"
    assert problem.file == "evil.bpmn"


def test_xxe_never_reveals_the_file_it_names():
    problems = refusal({"evil.bpmn": minimal_process(XXE_PROLOG, "&secret;")})

    for problem in problems:
        text = repr(problem.to_dict())
        assert "/etc/passwd" not in text
        assert "root:" not in text


def test_doctype_text_inside_the_document_is_not_a_declaration():
    body = "<![CDATA[<!DOCTYPE html><p>公开内容</p>]]>"

    loaded = load_process_package({"cdata.bpmn": minimal_process(body=body)})

    assert loaded.process_key == "payload"


def test_doctype_in_utf16_is_refused():
    data = minimal_process(XXE_PROLOG, "&secret;").decode("utf-8")
    data = data.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    assert only_problem({"evil.bpmn": data}).code == "doctype_forbidden"


def test_oversized_file_is_refused_before_parsing():
    padding = "x" * (MAX_FILE_BYTES + 1)

    problem = only_problem({"huge.bpmn": minimal_process(body=padding)})

    assert problem.code == "too_large"
    assert problem.file == "huge.bpmn"


def test_oversized_package_is_refused():
    chunk = minimal_process(body="x" * (MAX_FILE_BYTES - 2000))
    files = {f"part{n}.bpmn": chunk for n in range(MAX_PACKAGE_BYTES // len(chunk) + 1)}

    problems = refusal(files)

    assert [problem.code for problem in problems] == ["too_large"]


def test_schema_violation_names_the_element_and_line():
    problem = only_problem(fixture_files("schema_violation.bpmn"))

    assert problem.code == "bpmn_schema"
    assert problem.file == "schema_violation.bpmn"
    assert problem.element_id == "Flow_1"
    assert problem.line == line_of("schema_violation.bpmn", 'id="Flow_1"')
    assert "sourceRef" in problem.message


def test_gateway_flow_without_condition_is_invalid_at_the_flow():
    problem = only_problem(fixture_files("gateway_without_condition.bpmn"))

    assert problem.code == "bpmn_invalid"
    assert problem.element_id in {"Flow_pass", "Flow_fail"}
    assert problem.line == line_of("gateway_without_condition.bpmn", f'id="{problem.element_id}"')
    assert problem.file == "gateway_without_condition.bpmn"
    assert "排他网关" in problem.message


def test_missing_call_activity_target_is_found_at_deploy_time():
    problem = only_problem(fixture_files("member_development.bpmn"))

    assert problem.code == "missing_reference"
    assert problem.element_id == "Call_probation_review"
    assert problem.line == line_of("member_development.bpmn", 'id="Call_probation_review"')
    assert "probation_review" in problem.message


def test_missing_decision_is_a_missing_reference():
    problem = only_problem(fixture_files("appraisal_grading.bpmn"))

    assert problem.code == "missing_reference"
    assert problem.element_id == "Task_grade"


def test_two_top_level_processes_without_key_are_ambiguous():
    problem = only_problem(fixture_files("two_processes.bpmn"))

    assert problem.code == "ambiguous_process"
    assert "appraisal_self_review" in problem.message
    assert "appraisal_peer_review" in problem.message


def test_process_key_picks_one_of_several():
    loaded = load_process_package(fixture_files("two_processes.bpmn"), "appraisal_peer_review")

    assert loaded.process_key == "appraisal_peer_review"
    assert loaded.name == "党员互评"


def test_unknown_process_key_is_refused():
    problem = only_problem(fixture_files("disclosure_review.bpmn"), "no_such_process")

    assert problem.code == "unknown_process"
    assert "disclosure_review" in problem.message


def test_non_executable_process_is_refused_clearly():
    data = minimal_process().replace(b'isExecutable="true"', b'isExecutable="false"')

    problem = only_problem({"diagram.bpmn": data})

    assert problem.code == "no_executable_process"
    assert problem.element_id == "payload"
    assert "isExecutable" in problem.message


@pytest.mark.parametrize(
    ("files", "code"),
    [
        pytest.param({}, "no_executable_process", id="empty"),
        pytest.param({"form.json": b"{}"}, "unsupported_file", id="not-bpmn-name"),
        pytest.param({"note.bpmn": b"<note>hello</note>"}, "unsupported_file", id="not-bpmn-root"),
        pytest.param({"text.bpmn": "<bpmn/>"}, "unsupported_file", id="str-not-bytes"),
        pytest.param({"empty.bpmn": b""}, "xml_syntax", id="empty-file"),
    ],
)
def test_odd_inputs_are_refused_not_crashed(files, code):
    problems = refusal(files)

    assert problems[0].code == code


def test_unexpected_library_errors_become_bpmn_unsupported(monkeypatch):
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    def explode(*args, **kwargs):
        raise KeyError("{http://camunda.org/schema/1.0/bpmn}decisionRef")

    monkeypatch.setattr(SpiffBpmnParser, "get_subprocess_specs", explode)

    problem = only_problem(fixture_files("disclosure_review.bpmn"))

    assert problem.code == "bpmn_unsupported"
    assert problem.file == "disclosure_review.bpmn"
    assert "KeyError" in problem.message
    assert problem.message.index("本引擎") < problem.message.index("(")


def test_every_message_is_chinese_first_then_english():
    cases = [
        {"broken.bpmn": b"<a>"},
        fixture_files("member_development.bpmn"),
        fixture_files("two_processes.bpmn"),
        fixture_files("gateway_without_condition.bpmn"),
    ]
    for files in cases:
        for problem in refusal(files):
            english_starts = problem.message.index("(")
            assert any("\u4e00" <= c <= "\u9fff" for c in problem.message[:english_starts]), problem.message
