"""The working-day calendar: one row per date, and which years have a complete (published) schedule."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, string_enum


class DayKind(enum.StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # 法定节假日 and the days off moved next to it (调休放假)
    ADJUSTED_WORKDAY = "adjusted_workday"  # 调休上班: a Saturday or Sunday that is worked


class DaySource(enum.StrEnum):
    CHINESECALENDAR = "chinesecalendar"  # the package's copy of the 国务院办公厅 notice
    ADMIN = "admin"  # an administrator's override; seeding never touches it
    RULE = "rule"  # Mon–Fri filler for a year an administrator published by hand


class CalendarDay(Base):
    __tablename__ = "calendar_days"

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[DayKind] = mapped_column(string_enum(DayKind))
    name: Mapped[str | None] = mapped_column(String(100))  # e.g. 国庆节
    source: Mapped[DaySource] = mapped_column(string_enum(DaySource))
    reason: Mapped[str | None] = mapped_column(String(500))  # why an administrator changed it
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class CalendarYear(Base):
    """A year whose schedule is complete; working days in any other year are refused or provisional."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[DaySource] = mapped_column(string_enum(DaySource))
    source_version: Mapped[str | None] = mapped_column(String(64))  # e.g. "chinesecalendar 1.11.0"
    complete: Mapped[bool] = mapped_column(Boolean)
    seeded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
