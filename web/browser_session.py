"""Who is signed in to this browser session (set by the sign-in page), as a person and as the
actor the policy decides for."""
from __future__ import annotations

from flask import session

from api.database import db_session
from engine.models import Person
from engine.policy import Actor, load_actor


def signed_in() -> Person | None:
    person_id = session.get("person_id")
    return db_session().get(Person, person_id) if isinstance(person_id, int) else None


def signed_in_actor() -> Actor | None:
    person = signed_in()
    return None if person is None else load_actor(db_session(), person)
