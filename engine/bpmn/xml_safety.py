"""Turns untrusted bytes into an lxml tree without ever expanding entities or fetching anything.

BPMN and DMN never need a DTD, so any DOCTYPE or ENTITY declaration is refused outright: that
closes XXE (external entities reading local files or URLs) and entity-expansion bombs
("billion laughs") before the parser sees them, and a second check on the parsed tree covers
encodings the byte scan cannot read (UTF-16, UTF-32).
"""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import DeploymentRefused, DeployProblem

_FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY")
_WIDE_ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
# The prolog is everything before the root element's start tag: only the XML declaration,
# processing instructions, comments, whitespace and a DOCTYPE may appear there.
_ROOT_START = re.compile(rb"<[A-Za-z_:]")


def _safe_parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep per-document state and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _prolog(data: bytes) -> bytes:
    match = _ROOT_START.search(data)
    return data if match is None else data[: match.start()]


def declares_dtd(data: bytes) -> bool:
    """Cheap scan of the raw bytes for a DOCTYPE or ENTITY declaration before any parsing."""
    prolog = _prolog(data)
    if any(marker in prolog for marker in _FORBIDDEN_MARKUP):
        return True
    # Markup in a wide encoding has NUL bytes between characters; look for it spelled that way.
    for encoding in _WIDE_ENCODINGS:
        for marker in _FORBIDDEN_MARKUP:
            if marker.decode("ascii").encode(encoding) in data:
                return True
    return False


def _doctype_problem(filename: str) -> DeployProblem:
    return DeployProblem(
        code="doctype_forbidden",
        message="文件不允许包含 DOCTYPE 或 ENTITY 声明 (DOCTYPE and ENTITY declarations are not allowed in BPMN/DMN files)",
        file=filename,
        line=None,
    )


def _syntax_problem(filename: str, error: etree.XMLSyntaxError) -> DeployProblem:
    line = error.lineno if isinstance(error.lineno, int) and error.lineno > 0 else None
    detail = error.msg or str(error)
    return DeployProblem(
        code="xml_syntax",
        message=f"XML 语法错误 (XML syntax error): {detail}",
        file=filename,
        line=line,
    )


def parse_untrusted_xml(filename: str, data: bytes) -> etree._ElementTree:
    """Parses one uploaded file; raises DeploymentRefused for a DTD or malformed XML."""
    if declares_dtd(data):
        raise DeploymentRefused([_doctype_problem(filename)])
    try:
        root = etree.fromstring(data, _safe_parser())
    except etree.XMLSyntaxError as error:
        raise DeploymentRefused([_syntax_problem(filename, error)]) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DeploymentRefused([_doctype_problem(filename)])
    return tree
