"""The XSD a DMN file is validated against, by its DMN version's namespace.

SpiffWorkflow bundles a schema for DMN 1.1, 1.2 and 1.3, but the DMN 1.2 one does not compile: its
diagram-interchange import (DMNDI12.xsd) holds the generic DI schema under another namespace, so the
`dmndi:DMNDI` element it refers to is declared nowhere. A DMN 1.2 file is not at fault for that. A
schema that does not compile is compiled again without its diagram part (the layout, which the
engine never reads, is then accepted as is); a schema that still does not compile validates nothing,
and the library's own parsing, which every file goes through next, stays the judge.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS

_log = logging.getLogger(__name__)
XSD = "http://www.w3.org/2001/XMLSchema"


@cache
def dmn_schema(namespace: str) -> etree.XMLSchema | None:
    """The compiled schema for a DMN namespace, or None when there is none the engine can use."""
    path = SCHEMAS.get(namespace)
    if path is None:
        return None
    document = etree.parse(path)
    try:
        return etree.XMLSchema(document)
    except etree.XMLSchemaParseError as broken:
        _log.info("DMN schema %s does not compile (%s); using it without its diagram part", Path(path).name, broken)
    try:
        return etree.XMLSchema(without_diagram_interchange(document))
    except etree.XMLSchemaParseError as still_broken:
        _log.warning("DMN schema %s is unusable (%s); files of %s are checked by parsing only", Path(path).name, still_broken, namespace)
        return None


def without_diagram_interchange(document: etree._ElementTree) -> etree._ElementTree:
    """A copy of a DMN schema whose diagram element may hold anything and whose DI import is gone."""
    copy = etree.ElementTree(etree.fromstring(etree.tostring(document), base_url=document.docinfo.URL))
    root = copy.getroot()
    diagram_namespace = root.nsmap.get("dmndi")
    for schema_import in root.findall(f"{{{XSD}}}import"):
        if schema_import.get("namespace") == diagram_namespace:
            root.remove(schema_import)
    for reference in root.iter(f"{{{XSD}}}element"):
        if (reference.get("ref") or "").startswith("dmndi:"):
            wildcard = etree.Element(f"{{{XSD}}}any", namespace="##other", processContents="skip", minOccurs="0")
            parent = reference.getparent()
            assert parent is not None  # a schema element reference always sits in a sequence
            parent.replace(reference, wildcard)
    return copy
