"""党务公开 (disclosure review): from a draft plan to publication within a scope, and feedback.

This package is the process: disclosure_review.bpmn, its forms (forms/), its scenarios, and the
published record its service calls keep (disclosures.py).
"""

from engine.models import OrganizationKind, Role
from engine.procedures.extensions import ProcessExtensions
from engine.procedures.start_rules import StartRule
from processes.disclosure_review import disclosures

PROCESS_KEY = "disclosure_review"

# 提出方案 is the drafter's step; the branch secretary may put a matter forward as well. A branch
# discloses; what exceeds its authority (society scope) goes up to the 党委 inside the process.
START_RULE = StartRule.of(roles=[Role.DRAFTER, Role.BRANCH_SECRETARY], organization_kinds=[OrganizationKind.BRANCH])

EXTENSIONS = ProcessExtensions.of(
    service_calls={
        "disclosure.publish": disclosures.publish,
        "disclosure.take_down": disclosures.take_down,
        "disclosure.archive": disclosures.archive,
    },
    start_rules={PROCESS_KEY: START_RULE},
)
