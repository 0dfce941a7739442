"""不合格党员组织处置 (disposition of members graded 不合格).

This package is the process: member_disposition.bpmn, its forms (forms/), its rule versions
(rules/<version>.json), its scenarios, and the checks and service calls the BPMN names (steps.py).
"""

from pathlib import Path

from engine.procedures.extensions import ProcessExtensions
from processes.member_disposition import steps

PROCESS_KEY = steps.PROCESS_KEY

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
)
