"""Running and finished process instances, and the incidents that stop them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, string_enum
from engine.models.process_definition import ProcessDefinition


class InstanceStatus(enum.StrEnum):
    RUNNING = "running"
    SUSPENDED = "suspended"
    INCIDENT = "incident"  # stopped by an error somebody must look at
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = frozenset({InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, InstanceStatus.INCIDENT})


class ProcessInstance(Base):
    __tablename__ = "process_instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[InstanceStatus] = mapped_column(
        string_enum(InstanceStatus, 16),
        index=True,
    )
    state_json: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(16))
    # Optimistic lock: every command bumps it; an UPDATE against a stale value matches no row.
    version: Mapped[int] = mapped_column(nullable=False)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Which end event it reached (e.g. 已归档 versus 不予公开): the outcome a reader cares about.
    end_event_id: Mapped[str | None] = mapped_column(String(200))
    # The person a case is about (an applicant, an appraised member), once its first step names them.
    subject_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    # The regulation version (e.g. "2014", "2026.05") the instance started under and keeps to the end.
    rule_set_version: Mapped[str | None] = mapped_column(String(16))

    definition: Mapped[ProcessDefinition] = relationship()
    incidents: Mapped[list[Incident]] = relationship(back_populates="instance", order_by="Incident.id")

    # The engine bumps `version` itself on every command (even one that only reassigns a task), and
    # SQLAlchemy adds `WHERE version = <old>` to the UPDATE.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012  (read once, by the mapper)


class Incident(Base):
    """Why an instance stopped: a script error, a forbidden operation, a runaway loop."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    element_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    instance: Mapped[ProcessInstance] = relationship(back_populates="incidents")
