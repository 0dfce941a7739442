"""A diagram for a BPMN file that has none, so that a browser editor can show and edit it.

Files written by hand or generated (this project's processes/ among them) often carry only the
executable model, without BPMN diagram interchange (DI). This lays each such process out left to
right: a node's column is the longest path to it from a start (loops ignored), each lane is a band,
nodes sharing a lane and a column stack in it; a node in no lane (often the events, gateways and
scripts between user tasks) is drawn in the band of the node before it, or else after it, so flows
stay short; sequence flows are routed with right angles, a flow going back to an earlier column
below its nodes. Processes that already have a diagram are left as they are, and the model itself
(lane membership included) is never changed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lxml import etree

from engine.bpmn.xml_safety import parse_untrusted_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
ACTIVITIES = {
    "task",
    "userTask",
    "serviceTask",
    "scriptTask",
    "manualTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "transaction",
}
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
COLUMN_WIDTH, ROW_HEIGHT = 150, 110
LANE_HEADER, MARGIN = 30, 40
BACK_EDGE_DROP = 25


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def middle_y(self) -> float:
        return self.y + self.height / 2

    @property
    def middle_x(self) -> float:
        return self.x + self.width / 2


def with_diagram(filename: str, data: bytes) -> bytes:
    """The file with a diagram for every process that lacks one; unchanged if none does."""
    tree = parse_untrusted_xml(filename, data)
    root = tree.getroot()
    drawn = {plane.get("bpmnElement") for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane")}
    # A process without an id cannot be named by a diagram plane; the loader refuses it anyway.
    missing = [process for process in root.iterchildren(f"{{{BPMN}}}process") if process.get("id") not in {*drawn, None}]
    if not missing or root.find(f"{{{BPMN}}}collaboration") is not None:
        return data  # a collaboration is drawn by the tool that made it; we do not guess its pools
    for process in missing:
        root.append(_diagram(process))
    etree.cleanup_namespaces(root, top_nsmap={"bpmndi": BPMNDI, "dc": DC, "di": DI})
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _diagram(process: etree._Element) -> etree._Element:
    """Shapes for the nodes and edges for the flows that have ids: what has none cannot be drawn."""
    process_id = process.get("id", "")
    nodes = {node_id: node for node in process if _kind(node) is not None and (node_id := node.get("id"))}
    flows = [
        (flow_id, source, target)
        for flow in process.iterchildren(f"{{{BPMN}}}sequenceFlow")
        if (flow_id := flow.get("id")) and (source := flow.get("sourceRef")) in nodes and (target := flow.get("targetRef")) in nodes
    ]
    hosts = {
        node_id: host
        for node_id, node in nodes.items()
        if _local(node) == "boundaryEvent" and (host := node.get("attachedToRef")) is not None
    }
    placed = [node_id for node_id in nodes if node_id not in hosts]
    edges = [(hosts.get(s, s), hosts.get(t, t)) for _, s, t in flows]
    columns = _columns(placed, edges)
    lanes = _lanes(process)
    boxes, lane_boxes = _boxes(placed, nodes, columns, lanes, _bands(placed, edges, columns, lanes))
    for node_id, host in hosts.items():
        if host in boxes:
            width, height = SIZES["event"]
            boxes[node_id] = Box(
                boxes[host].x + boxes[host].width - width - 5, boxes[host].y + boxes[host].height - height / 2, width, height
            )

    diagram = etree.Element(f"{{{BPMNDI}}}BPMNDiagram", id=f"{process_id}_diagram", nsmap={"bpmndi": BPMNDI})
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"{process_id}_plane", bpmnElement=process_id)
    for lane_id, box in lane_boxes.items():
        _shape(plane, lane_id, box, horizontal=True)
    for node_id, box in boxes.items():
        _shape(plane, node_id, box, expanded=False if _local(nodes[node_id]) == "subProcess" else None)
    for flow_id, source, target in flows:
        if source in boxes and target in boxes:
            _edge(plane, flow_id, _route(boxes[source], boxes[target], columns.get(hosts.get(source, source), 0), columns.get(target, 0)))
    return diagram


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _kind(element: etree._Element) -> str | None:
    name = _local(element)
    if name in EVENTS or name == "boundaryEvent":
        return "event"
    if name in GATEWAYS:
        return "gateway"
    if name in ACTIVITIES:
        return "activity"
    return None


def _columns(node_ids: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from a start over the forward edges; an edge closing a loop (found by a depth-
    first walk in document order) does not push its target right."""
    following: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        if source != target:
            following[source].append(target)
    incoming = {target for _, target in edges}
    forward: list[tuple[str, str]] = []
    state: dict[str, int] = {}  # 1 on the walk's path, 2 done
    for start in [n for n in node_ids if n not in incoming] + node_ids:
        if start in state:
            continue
        stack = [(start, iter(following[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) != 1:
                forward.append((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(following[child])))
    column = dict.fromkeys(node_ids, 0)
    for _ in range(len(node_ids)):  # relax along the forward edges (a DAG): at most one pass per node
        changed = False
        for source, target in forward:
            if column[target] < column[source] + 1:
                column[target], changed = column[source] + 1, True
        if not changed:
            break
    return column


def _lanes(process: etree._Element) -> list[tuple[str | None, list[str]]]:
    """The lanes in document order with their nodes."""
    return [
        (lane.get("id"), [ref.text.strip() for ref in lane.iterchildren(f"{{{BPMN}}}flowNodeRef") if ref.text])
        for lane_set in process.iterchildren(f"{{{BPMN}}}laneSet")
        for lane in lane_set.iterchildren(f"{{{BPMN}}}lane")
    ]


def _bands(
    node_ids: list[str], edges: list[tuple[str, str]], columns: dict[str, int], lanes: list[tuple[str | None, list[str]]]
) -> dict[str, str | None]:
    """The lane band each node is drawn in: its own lane, else a neighbour's along the flow."""
    band: dict[str, str | None] = {}
    for lane_id, members in lanes:
        for member in members:
            band.setdefault(member, lane_id)
    ordered = sorted((n for n in node_ids if n not in band), key=lambda n: columns[n])
    for neighbours in ({t: s for s, t in reversed(edges)}, {s: t for s, t in edges}):  # before it, then after it
        for node_id in ordered:
            if band.get(node_id) is None and band.get(neighbours.get(node_id, "")) is not None:
                band[node_id] = band[neighbours[node_id]]
    return band


def _boxes(
    node_ids: list[str],
    nodes: dict[str, etree._Element],
    columns: dict[str, int],
    lanes: list[tuple[str | None, list[str]]],
    lane_of: dict[str, str | None],
) -> tuple[dict[str, Box], dict[str, Box]]:
    bands: list[str | None] = [lane_id for lane_id, _ in lanes]
    if any(lane_of.get(node_id) is None for node_id in node_ids):
        bands.append(None)
    cells: dict[tuple[str | None, int], list[str]] = defaultdict(list)
    for node_id in node_ids:
        cells[(lane_of.get(node_id), columns[node_id])].append(node_id)
    width = (max(columns.values(), default=0) + 1) * COLUMN_WIDTH + MARGIN
    left = MARGIN + (LANE_HEADER if lanes else 0)
    boxes: dict[str, Box] = {}
    lane_boxes: dict[str, Box] = {}
    top = MARGIN
    for band in bands:
        rows = max((len(ids) for (lane, _), ids in cells.items() if lane == band), default=1)
        for (lane, column), ids in cells.items():
            if lane != band:
                continue
            for row, node_id in enumerate(ids):
                node_width, node_height = SIZES[_kind(nodes[node_id]) or "activity"]
                boxes[node_id] = Box(
                    left + column * COLUMN_WIDTH + (COLUMN_WIDTH - node_width) / 2,
                    top + row * ROW_HEIGHT + (ROW_HEIGHT - node_height) / 2,
                    node_width,
                    node_height,
                )
        if band is not None and lanes:
            lane_boxes[band] = Box(MARGIN, top, LANE_HEADER + width, rows * ROW_HEIGHT)
        top += rows * ROW_HEIGHT
    return boxes, lane_boxes


def _route(source: Box, target: Box, source_column: int, target_column: int) -> list[tuple[float, float]]:
    if target_column <= source_column:  # back to an earlier column: under both nodes
        below = max(source.y + source.height, target.y + target.height) + BACK_EDGE_DROP
        return [
            (source.middle_x, source.y + source.height),
            (source.middle_x, below),
            (target.middle_x, below),
            (target.middle_x, target.y + target.height),
        ]
    start, end = (source.x + source.width, source.middle_y), (target.x, target.middle_y)
    if start[1] == end[1]:
        return [start, end]
    bend = (start[0] + end[0]) / 2
    return [start, (bend, start[1]), (bend, end[1]), end]


def _shape(plane: etree._Element, element_id: str, box: Box, horizontal: bool = False, expanded: bool | None = None) -> None:
    shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id)
    if horizontal:
        shape.set("isHorizontal", "true")
    if expanded is not None:
        shape.set("isExpanded", "true" if expanded else "false")
    etree.SubElement(
        shape,
        f"{{{DC}}}Bounds",
        x=_number(box.x),
        y=_number(box.y),
        width=_number(box.width),
        height=_number(box.height),
        nsmap={"dc": DC},
    )


def _edge(plane: etree._Element, flow_id: str, points: list[tuple[float, float]]) -> None:
    edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
    for x, y in points:
        etree.SubElement(edge, f"{{{DI}}}waypoint", x=_number(x), y=_number(y), nsmap={"di": DI})


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
