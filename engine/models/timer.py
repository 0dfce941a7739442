"""Pending deadlines: every BPMN timer and every SLA reminder or escalation is a row here.

The database is the truth: a row is written in the transaction that creates the timer, and it is
fired at most once (its state moves from pending to fired under a row lock). Redis only rings the
bell at the due time; losing Redis loses no row.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, string_enum


class TimerKind(enum.StrEnum):
    BPMN = "bpmn"  # a timer event waiting in a workflow (boundary or intermediate catch)
    SLA_REMINDER = "sla_reminder"  # remind the people a user task waits on, before it is due
    SLA_ESCALATION = "sla_escalation"  # at the due time: flag overdue, offer it higher up
    START = "start"  # a timer start event of a deployed process: start its instances


class TimerState(enum.StrEnum):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_pending_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A start timer belongs to a deployed version, not to an instance (it creates them).
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))  # the waiting timer event, the user task of an SLA, or ""
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[TimerKind] = mapped_column(string_enum(TimerKind, 16))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[TimerState] = mapped_column(string_enum(TimerState, 16))
    attempts: Mapped[int] = mapped_column(default=0)  # bells rung by the reconciler after a loss
    created_at: Mapped[datetime] = mapped_column(DateTime)
    fired_at: Mapped[datetime | None] = mapped_column(DateTime)
    provisional: Mapped[bool] = mapped_column(default=False)  # computed on an unpublished calendar year
    last_error: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """An in-app message for one person (reminders, escalations); the inbox shows the unread ones."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
