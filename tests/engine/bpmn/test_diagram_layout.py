"""A diagram for BPMN files that carry none: every node, lane and flow drawn, nodes inside their
lanes and apart from each other, the model untouched, files with a diagram left as they are."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.diagram_layout import BPMN, BPMNDI, DC, with_diagram
from engine.bpmn.loading import load_process_package
from engine.errors import DeploymentRefused
from tests.helpers.paths import CORPUS_DIR, FIXTURES

PROCESSES = sorted((FIXTURES.parents[2] / "processes").glob("*/*.bpmn"))
Bounds = tuple[float, float, float, float]


def bounds(root: etree._Element) -> dict[str, Bounds]:
    found = {}
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        box = shape.find(f"{{{DC}}}Bounds")
        found[shape.get("bpmnElement")] = tuple(float(box.get(name)) for name in ("x", "y", "width", "height"))
    return found


def inside(inner: Bounds, outer: Bounds) -> bool:
    return (
        outer[0] <= inner[0]
        and inner[0] + inner[2] <= outer[0] + outer[2]
        and outer[1] <= inner[1]
        and inner[1] + inner[3] <= outer[1] + outer[3]
    )


def overlap(a: Bounds, b: Bounds) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("path", PROCESSES, ids=[p.stem for p in PROCESSES])
def test_every_node_lane_and_flow_is_drawn_and_the_model_is_unchanged(path: Path):
    original = path.read_bytes()
    drawn = with_diagram(path.name, original)
    root = etree.fromstring(drawn)
    process = root.find(f"{{{BPMN}}}process")
    boxes = bounds(root)
    nodes = [
        e
        for e in process
        if isinstance(e.tag, str) and e.get("id") and etree.QName(e).localname not in ("laneSet", "sequenceFlow", "extensionElements")
    ]
    assert {node.get("id") for node in nodes} <= set(boxes)
    lanes = list(process.iter(f"{{{BPMN}}}lane"))
    assert {lane.get("id") for lane in lanes} <= set(boxes)
    flows = {flow.get("id") for flow in process.iter(f"{{{BPMN}}}sequenceFlow")}
    assert flows == {edge.get("bpmnElement") for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    for lane in lanes:
        for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
            assert inside(boxes[ref.text.strip()], boxes[lane.get("id")]), (lane.get("id"), ref.text)
    lane_ids = {lane.get("id") for lane in lanes}
    node_boxes = [box for element_id, box in boxes.items() if element_id not in lane_ids]
    assert not [pair for pair in combinations(node_boxes, 2) if overlap(*pair)]
    # The executable model is the same: the diagram is only added.
    etree.strip_elements(root, f"{{{BPMNDI}}}BPMNDiagram")
    assert etree.tostring(root, method="c14n", exclusive=True) == etree.tostring(etree.fromstring(original), method="c14n", exclusive=True)
    dmn = {p.name: p.read_bytes() for p in path.parent.glob("*.dmn")}
    assert load_process_package({path.name: drawn, **dmn}).process_key == process.get("id")
    assert with_diagram(path.name, drawn) == drawn  # once drawn, left alone


def test_a_loop_goes_back_under_its_nodes():
    drawn = etree.fromstring(with_diagram("review_loop.bpmn", (FIXTURES / "review_loop.bpmn").read_bytes()))
    boxes = bounds(drawn)
    flows = {flow.get("id"): flow for flow in drawn.iter(f"{{{BPMN}}}sequenceFlow")}
    backwards = 0
    for edge in drawn.iter(f"{{{BPMNDI}}}BPMNEdge"):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge]
        if points[-1][0] >= points[0][0]:
            continue
        backwards += 1
        flow = flows[edge.get("bpmnElement")]
        ends = [boxes[flow.get("sourceRef")], boxes[flow.get("targetRef")]]
        assert max(y for _, y in points) > max(box[1] + box[3] for box in ends)
    assert backwards, "the review loop returns to an earlier column"


def test_a_file_with_a_diagram_is_returned_as_it_is():
    with_di = next(p for p in sorted(CORPUS_DIR.rglob("*.bpmn")) if b"BPMNPlane" in p.read_bytes())
    assert with_diagram(with_di.name, with_di.read_bytes()) == with_di.read_bytes()


def test_a_doctype_is_refused_as_on_deployment():
    with pytest.raises(DeploymentRefused):
        with_diagram("evil.bpmn", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><definitions/>')


def test_nodes_and_flows_without_an_id_are_left_undrawn_not_a_crash():
    """Uploaded files are untrusted: an element the diagram cannot name is skipped."""
    original = (FIXTURES / "loading" / "gateway_without_condition.bpmn").read_text(encoding="utf-8")
    edited = original.replace('<bpmn:endEvent id="EndEvent_fail">', "<bpmn:endEvent>").replace(
        '<bpmn:sequenceFlow id="Flow_pass" ', "<bpmn:sequenceFlow "
    )
    root = etree.fromstring(with_diagram("no_ids.bpmn", edited.encode()))

    assert set(bounds(root)) == {"StartEvent_vote", "Gateway_vote_result", "EndEvent_pass"}
    assert {edge.get("bpmnElement") for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge")} == {"Flow_to_gateway"}


def test_a_process_without_an_id_gets_no_diagram():
    original = (FIXTURES / "loading" / "gateway_without_condition.bpmn").read_text(encoding="utf-8")
    edited = original.replace('<bpmn:process id="appraisal_vote" ', "<bpmn:process ")
    assert with_diagram("no_id.bpmn", edited.encode()) == edited.encode()
