"""民主评议党员 (democratic appraisal of members): the annual appraisal, its ballot and grades.

This package is the process: democratic_appraisal.bpmn with its decision table (appraisal_grade.dmn),
its forms (forms/), its rule versions (rules/<version>.json), its scenarios, the anonymous ballot
(ballot.py) and the checks and service calls the BPMN names (steps.py).
"""

from pathlib import Path

from engine.models import OrganizationKind, Role
from engine.procedures.extensions import ProcessExtensions
from engine.procedures.start_rules import StartRule
from processes.democratic_appraisal import steps

PROCESS_KEY = steps.PROCESS_KEY

# 民主评议 is held by each 党支部 once a year (the October timer starts it in every branch); by hand,
# the branch secretary or a 党委委员 starts it, in a 党支部 — never in a 党小组, where nobody holds the
# role of its first steps.
START_RULE = StartRule.of(roles=[Role.BRANCH_SECRETARY, Role.COMMITTEE_MEMBER], organization_kinds=[OrganizationKind.BRANCH])

EXTENSIONS = ProcessExtensions.of(
    step_guards={"appraisal.grades": steps.check_grades},
    service_calls={
        "appraisal.list_members": steps.list_members,
        "appraisal.open_ballot": steps.start_ballot,
        "appraisal.count_ballot": steps.count_ballot,
        "appraisal.notify_results": steps.notify_results,
        "appraisal.start_publicity": steps.start_publicity,
        "appraisal.start_dispositions": steps.start_dispositions,
    },
    rule_set_folders={PROCESS_KEY: Path(__file__).parent / "rules"},
    former_guard_names={"appraisal_grades": "appraisal.grades"},
    start_rules={PROCESS_KEY: START_RULE},
)
