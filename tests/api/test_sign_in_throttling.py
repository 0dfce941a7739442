"""Sign-in guessing is slowed per (username, address), never by locking the account: an attacker
hammering an account from one address cannot keep its owner out elsewhere, and the answers are the
same whether the username exists or not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.models import Person, SignInThrottle
from tests.helpers.api_errors import assert_error_shape

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


def sign_in(client, username: str, password: str, address: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers or {},
    )


def test_hammering_admin_from_one_address_does_not_keep_admin_out_from_another(client, demo, clock):
    answers = [sign_in(client, "admin", f"guess{n}", ATTACKER).status_code for n in range(12)]
    assert answers == [401] * 5 + [429] * 7  # the attacker waits, at his address only
    assert_error_shape(sign_in(client, "admin", "demo", ATTACKER), 429, "too_many_requests")  # a right guess is not confirmed
    assert sign_in(client, "admin", "demo", OWNER).status_code == 201


def test_unknown_and_existing_usernames_get_identical_answers(client, demo, clock):
    def answers(username: str, address: str) -> list[tuple[int, object, str | None]]:
        seen = []
        for n in range(9):
            response = sign_in(client, username, f"guess{n}", address)
            seen.append((response.status_code, response.json, response.headers.get("Retry-After")))
            clock.advance(timedelta(seconds=3))
        return seen

    existing, unknown = answers("admin", "192.0.2.1"), answers("nobody-by-this-name", "192.0.2.2")
    assert existing == unknown
    assert {status for status, _, _ in existing} == {401, 429}


def test_the_wait_doubles_after_five_failures_up_to_fifteen_minutes(client, demo, clock):
    for _ in range(4):
        assert sign_in(client, "secretary", "wrong", ATTACKER).status_code == 401
    waits = []
    for _ in range(12):
        assert sign_in(client, "secretary", "wrong", ATTACKER).status_code == 401  # the wait is over: read again
        refused = sign_in(client, "secretary", "wrong", ATTACKER)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(timedelta(seconds=waits[-1]))
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]


def test_signing_in_clears_the_count_and_a_day_forgets_it(client, demo, clock, session):
    for _ in range(4):
        sign_in(client, "drafter", "wrong", ATTACKER)
    assert sign_in(client, "drafter", "demo", ATTACKER).status_code == 201
    for _ in range(4):
        sign_in(client, "drafter", "wrong", ATTACKER)
    clock.advance(timedelta(hours=25))
    for _ in range(4):
        assert sign_in(client, "drafter", "wrong", ATTACKER).status_code == 401  # the earlier four no longer count
    assert sign_in(client, "drafter", "demo", ATTACKER).status_code == 201
    assert session.scalars(select(SignInThrottle)).all() == []


def test_no_column_on_the_account_records_failures(client, demo, session):
    for _ in range(6):
        sign_in(client, "admin", "wrong", ATTACKER)
    admin = session.scalars(select(Person).where(Person.username == "admin")).one()
    assert not hasattr(admin, "locked_until") and not hasattr(admin, "failed_logins")
    throttle = session.get(SignInThrottle, ("admin", ATTACKER))
    assert throttle is not None and throttle.failures == 5  # the sixth was refused unread


def test_forwarded_addresses_count_only_behind_a_configured_proxy(app, client, demo):
    forged = [{"X-Forwarded-For": f"10.9.0.{n}"} for n in range(8)]
    answers = [sign_in(client, "admin", "wrong", ATTACKER, headers=h).status_code for h in forged]
    assert answers == [401] * 5 + [429] * 3  # without WF_PROXY_HOPS a made-up X-Forwarded-For changes nothing


def test_behind_one_proxy_the_forwarded_client_address_is_the_one_throttled(database_url, session_factory, demo, clock):  # type: ignore[no-untyped-def]
    from api.app import create_app
    from api.http.database import dispose_database

    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True, "WF_PROXY_HOPS": 1}
    )
    try:
        client, proxy = app.test_client(), "10.0.0.1"  # every request arrives from the proxy
        for _ in range(6):
            sign_in(client, "admin", "wrong", proxy, headers={"X-Forwarded-For": ATTACKER})
        assert sign_in(client, "admin", "demo", proxy, headers={"X-Forwarded-For": ATTACKER}).status_code == 429
        assert sign_in(client, "admin", "demo", proxy, headers={"X-Forwarded-For": OWNER}).status_code == 201
    finally:
        dispose_database(app)
