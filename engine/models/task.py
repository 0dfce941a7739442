"""The inbox: one row per user task, open or finished, projected from the workflow after each step.

Inbox queries read only this table; they never deserialize a workflow.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, string_enum


class TaskStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class UserTask(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_inbox", "status", "candidate_organization_id", "candidate_role"),
        Index("ix_tasks_assignee", "assignee_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow's task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(200))
    candidate_role: Mapped[str | None] = mapped_column(String(32))
    candidate_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    priority: Mapped[int] = mapped_column(default=50)
    form_key: Mapped[str | None] = mapped_column(String(200))
    due_rule: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime)
    overdue: Mapped[bool] = mapped_column(default=False)
    # Offered higher up once overdue (the escalation the process declares), besides the candidate.
    escalated_role: Mapped[str | None] = mapped_column(String(32))
    escalated_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    status: Mapped[TaskStatus] = mapped_column(string_enum(TaskStatus, 16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    completion_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
