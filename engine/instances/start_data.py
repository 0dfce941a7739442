"""What a person may hand a process when starting it by hand, checked before anything is written.

- The business key may not take the form the engine gives timer starts, `<process>@<date>`: a
  branch's instance under that key makes the timer skip the branch, so a hand start could squat it.
- The start data fits in 16 KiB once serialised; an instance's variables are not a file store.
- Its variables are the ones the start event's form asks (the start event's `form_key` property,
  a form of the package), typed and checked as a task's submission is; a process without a start
  form takes none. Anything else would set workflow variables the process never asked for.
- `rule_set_version`, a regulation version other than the one the organisation follows, only from
  those who may choose rule sets (process owners and administrators); the process must run under a
  rule set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from engine.errors import Forbidden, SubmissionRejected
from forms import FormDefinition, SubmissionInvalid, validate_submission

START_DATA_LIMIT = 16 * 1024  # bytes of UTF-8 JSON
RULE_SET_VERSION = "rule_set_version"
_NO_SUCH_VARIABLE = "该流程发起时不接受此项数据 (this process takes no such start variable)"


def start_form_key(spec: BpmnProcessSpec) -> str | None:
    """The form a start event of the process asks its starter to fill, if one does."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent):
            key = (getattr(task_spec, "extensions", None) or {}).get("properties", {}).get("form_key")
            if key:
                return str(key)
    return None


def reserved_key_refusal(business_key: str | None, process_keys: Iterable[str]) -> SubmissionRejected | None:
    """A business key of the form `<process>@…` for any deployed process is the engine's own."""
    if business_key is None or "@" not in business_key:
        return None
    prefix = business_key.partition("@")[0].strip().casefold()
    if prefix not in {key.casefold() for key in process_keys}:
        return None
    message = (
        f"“{prefix}@…”形式的业务标识留给定时发起的流程，请另取一个 "
        f"(business keys of the form {prefix}@… are reserved for the timer's starts; choose another)"
    )
    return SubmissionRejected({"business_key": [message]})


def checked_start_data(
    data: Mapping[str, Any], form: FormDefinition | None, rule_set: str | None, may_choose_rule_set: Callable[[], bool]
) -> dict[str, Any]:
    """The start data a hand start may carry, typed by its start form; or SubmissionRejected/Forbidden."""
    _check_size(data)
    variables = dict(data)
    requested = variables.pop(RULE_SET_VERSION, None) if rule_set is not None else None
    if form is not None:
        try:
            checked = validate_submission(form, variables)
        except SubmissionInvalid as invalid:
            raise SubmissionRejected(invalid.errors) from None
    elif variables:
        raise SubmissionRejected({name[:64]: [_NO_SUCH_VARIABLE] for name in sorted(variables)})
    else:
        checked = {}
    if requested is not None:
        if not may_choose_rule_set():
            raise Forbidden(
                "只有组织员或管理员可以为新流程选择规则版本；支部按本组织选定的版本办理 "
                "(only process owners and administrators choose the regulation version; the organisation's choice applies)"
            )
        checked[RULE_SET_VERSION] = requested
    return checked


def _check_size(data: Mapping[str, Any]) -> None:
    try:
        size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    except (RecursionError, TypeError, ValueError):
        size = START_DATA_LIMIT + 1
    if size > START_DATA_LIMIT:
        kib = START_DATA_LIMIT // 1024
        raise SubmissionRejected({"data": [f"发起数据不能超过 {kib} KiB (start data is limited to {kib} KiB serialised)"]})
