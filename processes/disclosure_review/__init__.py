"""党务公开 (disclosure review): from a draft plan to publication within a scope, and feedback.

This package is the process: disclosure_review.bpmn, its forms (forms/), its scenarios, and the
published record its service calls keep (disclosures.py).
"""

from engine.procedures.extensions import ProcessExtensions
from processes.disclosure_review import disclosures

PROCESS_KEY = "disclosure_review"

EXTENSIONS = ProcessExtensions.of(
    service_calls={
        "disclosure.publish": disclosures.publish,
        "disclosure.take_down": disclosures.take_down,
        "disclosure.archive": disclosures.archive,
    },
)
