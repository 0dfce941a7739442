"""How stored values read on a page: moments in Beijing time, people by name."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from api.database import db_session
from engine.models import Person

BEIJING = timedelta(hours=8)
SYSTEM = "系统 (system)"


def beijing_time(moment: datetime | None) -> str:
    """A naive UTC moment as the minute it was in Beijing; an em dash for none."""
    return "—" if moment is None else (moment + BEIJING).strftime("%Y-%m-%d %H:%M")


def display_names(person_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {person_id for person_id in person_ids if person_id is not None}
    if not wanted:
        return {}
    rows = db_session().execute(select(Person.id, Person.display_name).where(Person.id.in_(wanted)))
    return {person_id: name for person_id, name in rows}


def register_filters(app: Flask) -> None:
    app.add_template_filter(beijing_time)
