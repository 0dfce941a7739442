"""发展党员 (member development): the 25 steps from application to full membership.

This package is the process: member_development.bpmn, its forms (forms/), the regulation versions
it runs under (rules/<version>.json), its scenarios, and the Python below, which the BPMN names.
"""

from pathlib import Path

from engine.models import OrganizationKind, Role
from engine.procedures.extensions import ProcessExtensions
from engine.procedures.start_rules import StartRule
from processes.member_development import steps

PROCESS_KEY = steps.PROCESS_KEY

# 发展党员 is the branch's work (细则 §7 onward), decided with the 党委 above it: the branch secretary
# or a 党委委员 opens an applicant's case, in a 党支部.
START_RULE = StartRule.of(roles=[Role.BRANCH_SECRETARY, Role.COMMITTEE_MEMBER], organization_kinds=[OrganizationKind.BRANCH])

EXTENSIONS = ProcessExtensions.of(
    step_guards={
        "development.applicant": steps.check_applicant,
        "development.contacts": steps.check_contacts,
        "development.sponsors": steps.check_sponsors,
        "development.training": steps.check_training,
        "development.leaving_soon": steps.check_leaving_soon,
        "development.probation_decision": steps.check_probation_decision,
        "development.approval_extension": steps.check_approval_extension,
        "development.publicity": steps.check_publicity,
    },
    service_calls={
        "development.admit": steps.admit_probationary,
        "development.extend_probation": steps.extend_probation,
        "development.confirm_full": steps.confirm_full_membership,
        "development.cancel_probation": steps.cancel_probation,
    },
    rule_set_folders={PROCESS_KEY: Path(__file__).parent / "rules"},
    former_guard_names={
        name: f"development.{name}"
        for name in (
            "applicant",
            "contacts",
            "sponsors",
            "training",
            "leaving_soon",
            "probation_decision",
            "approval_extension",
            "publicity",
        )
    },
    start_rules={PROCESS_KEY: START_RULE},
)
