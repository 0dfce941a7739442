"""不合格党员组织处置 (disposition of members graded 不合格).

This package is the process: member_disposition.bpmn, its forms (forms/), its rule versions
(rules/<version>.json), its scenarios, and the checks and service calls the BPMN names (steps.py).
"""

from pathlib import Path

from engine.models import OrganizationKind, Role
from engine.procedures.extensions import ProcessExtensions
from engine.procedures.start_rules import StartRule
from processes.member_disposition import steps

PROCESS_KEY = steps.PROCESS_KEY

# 组织处置 is proposed by the 支委会 and filed with the 党委 (办法 2024): the branch secretary or a
# 党委委员 opens a case, in a 党支部. Its first step is confidential; a plain member may not open one.
START_RULE = StartRule.of(roles=[Role.BRANCH_SECRETARY, Role.COMMITTEE_MEMBER], organization_kinds=[OrganizationKind.BRANCH])

EXTENSIONS = ProcessExtensions.of(
    step_guards={
        "disposition.subject": steps.check_subject,
        "disposition.talkers": steps.check_talkers,
        "disposition.measure": steps.check_measure,
        "disposition.pre_review": steps.check_pre_review,
        "disposition.notice": steps.check_notice,
    },
    service_calls={
        "disposition.start_correction": steps.start_correction,
        "disposition.advise_to_leave": steps.advise_to_leave,
        "disposition.strike_off": steps.strike_off,
    },
    rule_set_folders={steps.RULE_SET: Path(__file__).parent / "rules"},
    former_guard_names={f"disposition_{name}": f"disposition.{name}" for name in ("subject", "talkers", "measure", "pre_review", "notice")},
    start_rules={PROCESS_KEY: START_RULE},
)
