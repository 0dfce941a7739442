"""Passwords (argon2), sign-in throttling per (username, address), signing out everywhere, and bearer
tokens (random, stored only as a SHA-256 hash, expiring)."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.audit import append_event
from engine.clock import SYSTEM_CLOCK, Clock
from engine.errors import EngineError, InvalidCommand
from engine.models import ApiToken, Person, SignInThrottle

DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)
_HASHER = PasswordHasher()
# Verifying against this when the username is unknown keeps the response time the same.
_DUMMY_HASH = _HASHER.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


THROTTLE_AFTER = 5  # failures of one username from one address before that pair has to wait
LONGEST_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # failures older than this no longer count


class SignInThrottled(EngineError):
    """This username was tried and failed too often from this address: wait `retry_after` seconds.
    Said alike for every username, known or not."""

    code = "too_many_requests"

    def __init__(self, retry_after: int):
        wait = f"{retry_after} 秒" if retry_after < 60 else f"{math.ceil(retry_after / 60)} 分钟"
        english = f"{retry_after} s" if retry_after < 60 else f"{math.ceil(retry_after / 60)} min"
        super().__init__(f"登录尝试过多，请 {wait}后再试 (too many sign-in attempts; try again in {english})")
        self.retry_after = retry_after


def authenticate(session: Session, username: str, password: str, *, address: str, clock: Clock = SYSTEM_CLOCK) -> Person | None:
    """The person, or None for a wrong username or password, which costs the same time either way.
    After THROTTLE_AFTER failures of this username from this address, each further failure makes
    that pair wait twice as long (up to LONGEST_WAIT), SignInThrottled even for the right password;
    the same username from another address is not held up, so nobody can lock an owner out. The
    caller commits, so the count survives."""
    now = clock.now()
    throttle = session.get(SignInThrottle, (username[:64], address[:64]), with_for_update=True)
    if throttle is not None and throttle.last_failure_at < now - FORGET_AFTER:
        throttle.failures, throttle.blocked_until = 0, None
    if throttle is not None and throttle.blocked_until is not None and throttle.blocked_until > now:
        raise SignInThrottled(math.ceil((throttle.blocked_until - now).total_seconds()))
    person = session.scalars(select(Person).where(Person.username == username)).first()
    stored = person.password_hash if person is not None else None
    try:
        _HASHER.verify(stored or _DUMMY_HASH, password)
        verified = bool(stored)
    except (VerificationError, InvalidHashError):
        verified = False
    if person is None or not verified:
        _count_failure(session, throttle, username[:64], address[:64], now)
        return None
    if throttle is not None:
        session.delete(throttle)
    return person


def _count_failure(session: Session, throttle: SignInThrottle | None, username: str, address: str, now: datetime) -> None:
    if throttle is None:
        throttle = SignInThrottle(username=username, address=address, failures=0, last_failure_at=now)
        session.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= THROTTLE_AFTER:
        wait = timedelta(seconds=2 ** (throttle.failures - THROTTLE_AFTER + 1))
        throttle.blocked_until = now + min(wait, LONGEST_WAIT)


def forget_old_failures(session: Session, *, clock: Clock = SYSTEM_CLOCK) -> None:
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < clock.now() - FORGET_AFTER))


MIN_PASSWORD_LENGTH = 10


def set_password(session: Session, person: Person, password: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """A new password ends every session and token the person had (whoever held them); audited
    without the password or its hash. The caller commits."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidCommand(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 (a password has at least {MIN_PASSWORD_LENGTH} characters)")
    person.password_hash = hash_password(password)
    end_sessions(session, person, clock=clock)
    append_event(session, clock, "person.password_set", after={"person_id": person.id, "username": person.username})


def end_sessions(session: Session, person: Person, *, clock: Clock = SYSTEM_CLOCK) -> None:
    """Signing out everywhere: browser sessions made before now stop counting (the generation in
    their cookie is stale) and the person's bearer tokens are revoked. The caller commits."""
    person.session_generation += 1
    session.execute(update(ApiToken).where(ApiToken.person_id == person.id, ApiToken.revoked_at.is_(None)).values(revoked_at=clock.now()))


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
