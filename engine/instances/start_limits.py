"""How often an organisation may run a process, declared on its start event.

    once_per="year"   one instance per organisation per calendar year (Beijing time), counted by
                      the day it started; a cancelled instance does not count.

民主评议党员 is held once a year (党支部一般每年开展1次): a branch that started this year's appraisal by
hand is skipped by the October timer, and a second start by hand is refused, naming the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from engine.calendar.due_rules import CHINA_UTC_OFFSET, to_beijing_date
from engine.errors import Conflict, InvalidCommand
from engine.models import InstanceStatus, Organization, ProcessInstance

PERIODS = frozenset({"year"})

_ORGANIZATIONS = Organization.__table__
# A write that changes nothing, not SELECT ... FOR UPDATE: SQLite has no row locks and its driver
# opens the transaction only at the first write, so only a write makes a second start wait for the
# first one's commit there. On PostgreSQL it is the same row lock.
_LOCK_ORGANIZATION = update(_ORGANIZATIONS).where(_ORGANIZATIONS.c.id == bindparam("organization_id")).values(name=_ORGANIZATIONS.c.name)
_EARLIER_IN_PERIOD = (
    select(ProcessInstance.id)
    .where(
        ProcessInstance.process_key == bindparam("process_key"),
        ProcessInstance.organization_id == bindparam("organization_id"),
        ProcessInstance.status != InstanceStatus.CANCELLED,
        ProcessInstance.started_at >= bindparam("period_start"),
        ProcessInstance.started_at < bindparam("period_end"),
    )
    .order_by(ProcessInstance.id)
    .limit(1)
)


@dataclass(frozen=True)
class EarlierInstance:
    """The instance that already used this organisation's period."""

    instance_id: int
    year: int

    def refusal(self, process_name: str) -> Conflict:
        return Conflict(
            f"本组织{self.year}年已开展{process_name}（流程实例 #{self.instance_id}），每年一次；"
            f"如需重新开展，请先取消该实例 (this organisation already started {process_name} in {self.year}: "
            f"instance #{self.instance_id}; once a year — cancel that instance to start again)"
        )


def start_period(spec: BpmnProcessSpec) -> str | None:
    """The `once_per` property of the process's start events, if any declares one."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent):
            period = (getattr(task_spec, "extensions", None) or {}).get("properties", {}).get("once_per")
            if period:
                return str(period)
    return None


def earlier_instance(session: Session, process_key: str, organization_id: int, period: str, now: datetime) -> EarlierInstance | None:
    """The organisation's instance of this process in the period of `now`, locking the organisation
    row first so that two starts for it queue and the second sees the first."""
    if period not in PERIODS:  # deploy refuses it; a version stored before that check could have one
        raise InvalidCommand(f"流程定义的 once_per={period!r} 无法识别 (once_per={period!r} is not a period the engine knows)")
    connection = session.connection()
    connection.execute(_LOCK_ORGANIZATION, {"organization_id": organization_id})
    year = to_beijing_date(now).year
    row = connection.execute(
        _EARLIER_IN_PERIOD,
        {
            "process_key": process_key,
            "organization_id": organization_id,
            "period_start": _start_of_china_year(year),
            "period_end": _start_of_china_year(year + 1),
        },
    ).first()
    return None if row is None else EarlierInstance(row.id, year)


def _start_of_china_year(year: int) -> datetime:
    """00:00 on 1 January in Beijing, as naive UTC (16:00 on 31 December)."""
    return datetime(year, 1, 1) - CHINA_UTC_OFFSET
