"""Fixtures for tests that go through HTTP: the Flask app on the test database, the demo
organisation, and signed-in clients for each demo account."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.http.database import dispose_database
from engine.audit_checkpoints import AuditAnchor
from engine.clock import FrozenClock
from engine.party.demo_organization import DemoOrganization, seed_demo


@pytest.fixture
def app(database_url: str, session_factory, clock: FrozenClock, audit_anchor: AuditAnchor) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    config = {"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True}
    app = create_app({**config, "AUDIT_ANCHOR": audit_anchor})
    yield app
    dispose_database(app)


@pytest.fixture
def demo(session_factory, clock: FrozenClock) -> DemoOrganization:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        tree = seed_demo(session, clock)
        session.commit()
        return tree


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient, demo: DemoOrganization) -> Callable[[str], dict[str, str]]:
    """Returns the Authorization header for a demo account, signing in once per account."""
    tokens: dict[str, str] = {}

    def headers_for(username: str) -> dict[str, str]:
        if username not in tokens:
            response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo"})
            assert response.status_code == 201, response.json
            tokens[username] = response.json["token"]
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers_for
