"""Who is signed in to this browser session (set by the sign-in page), as a person and as the
actor the policy decides for."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import redirect, session, url_for
from flask.typing import ResponseReturnValue

from api.http.database import db_session
from engine.models import Person
from engine.people.permissions import Actor, load_actor


def signed_in() -> Person | None:
    person_id = session.get("person_id")
    return db_session().get(Person, person_id) if isinstance(person_id, int) else None


def signed_in_actor() -> Actor | None:
    person = signed_in()
    return None if person is None else load_actor(db_session(), person)


def signed_in_page(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """A page for signed-in people: anyone else is sent to sign in; the view gets the actor first."""

    @wraps(view)
    def with_actor(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        actor = signed_in_actor()
        if actor is None:
            return redirect(url_for("web.login"))
        return view(actor, *args, **kwargs)

    return with_actor
