"""Who is signed in to this browser session (set by the sign-in page), as a person and as the
actor the policy decides for.

The session cookie is signed, but a signed cookie alone would open pages for as long as it is kept.
So it also carries the person's session generation, raised when they sign out (a cookie saved
before then is refused), and when it was signed in and last used: it counts for
PERMANENT_SESSION_LIFETIME after sign-in and SESSION_IDLE_SECONDS without a request, on the
application's clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import current_app, redirect, session, url_for
from flask.typing import ResponseReturnValue

from api.http.database import db_session
from engine.models import Person
from engine.people.permissions import Actor, load_actor

_REFRESH_SECONDS = 60  # the last-use time is rewritten (a new cookie) at most once a minute


def start_session(person: Person) -> None:
    session.clear()  # a new session for the new identity
    now = _now()
    session.update(person_id=person.id, generation=person.session_generation, signed_in_at=now, seen_at=now)


def signed_in() -> Person | None:
    values = [value for name in ("person_id", "generation", "signed_in_at", "seen_at") if isinstance(value := session.get(name), int)]
    if len(values) != 4:
        return None
    person_id, generation, signed_in_at, seen_at = values
    now = _now()
    if now - signed_in_at >= current_app.permanent_session_lifetime.total_seconds():
        return None
    if now - seen_at >= current_app.config["SESSION_IDLE_SECONDS"]:
        return None
    person = db_session().get(Person, person_id)
    if person is None or person.session_generation != generation:
        return None
    if now - seen_at >= _REFRESH_SECONDS:
        session["seen_at"] = now
    return person


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


def _now() -> int:
    moment: datetime = current_app.extensions["wf_clock"].now()
    return int(moment.replace(tzinfo=UTC).timestamp())
