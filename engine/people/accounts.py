"""Passwords (argon2) and bearer tokens (random, stored only as a SHA-256 hash, expiring)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import SYSTEM_CLOCK, Clock
from engine.errors import EngineError
from engine.models import ApiToken, Person

DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)
_HASHER = PasswordHasher()
# Verifying against this when the username is unknown keeps the response time the same.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


class AccountLocked(EngineError):
    code = "account_locked"


def authenticate(session: Session, username: str, password: str, *, clock: Clock = SYSTEM_CLOCK) -> Person | None:
    """The person, or None for a wrong username or password. After MAX_FAILED_LOGINS failures in a
    row the account is locked for LOCKOUT (AccountLocked), even for the right password; the caller
    commits, so the count survives."""
    person = session.scalars(select(Person).where(Person.username == username)).first()
    now = clock.now()
    if person is not None and person.locked_until is not None and person.locked_until > now:
        raise AccountLocked(f"密码错误次数过多，账号已暂时锁定至 {person.locked_until:%H:%M} UTC (too many failed logins; locked for now)")
    stored = person.password_hash if person is not None and person.password_hash else _DUMMY_HASH
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        if person is not None:
            _count_failure(person, now)
        return None
    if person is None or not person.password_hash:
        return None
    person.failed_logins, person.locked_until = 0, None
    return person


def _count_failure(person: Person, now: datetime) -> None:
    person.failed_logins = (person.failed_logins or 0) + 1
    if person.failed_logins >= MAX_FAILED_LOGINS:
        person.failed_logins, person.locked_until = 0, now + LOCKOUT


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
