"""Passwords (argon2) and bearer tokens (random, stored only as a SHA-256 hash, expiring)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SYSTEM_CLOCK, Clock
from engine.models import ApiToken, Person

DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)
_HASHER = PasswordHasher()
# Verifying against this when the username is unknown keeps the response time the same.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def authenticate(session: Session, username: str, password: str) -> Person | None:
    person = session.scalars(select(Person).where(Person.username == username)).first()
    stored = person.password_hash if person is not None and person.password_hash else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return person if person is not None and person.password_hash else None


def issue_token(
    session: Session, person: Person, *, clock: Clock = SYSTEM_CLOCK, lifetime: timedelta = DEFAULT_TOKEN_LIFETIME
) -> tuple[str, ApiToken]:
    """Create a token; the caller commits. The plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    record = ApiToken(token_hash=_digest(token), person_id=person.id, created_at=now, expires_at=now + lifetime)
    session.add(record)
    return token, record


def person_for_token(session: Session, token: str, *, clock: Clock = SYSTEM_CLOCK) -> Person | None:
    record = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if record is None or record.revoked_at is not None or record.expires_at <= clock.now():
        return None
    return session.get(Person, record.person_id)


def revoke_token(session: Session, token: str, *, clock: Clock = SYSTEM_CLOCK) -> bool:
    record = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(token))).first()
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = clock.now()
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
