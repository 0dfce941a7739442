"""Who is signed in to this browser session (set by the sign-in page)."""
from __future__ import annotations

from flask import session

from api.database import db_session
from engine.models import Person


def signed_in() -> Person | None:
    person_id = session.get("person_id")
    return db_session().get(Person, person_id) if isinstance(person_id, int) else None
