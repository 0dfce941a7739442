"""Fixtures for engine tests: services and deploying fixture BPMN files (the organisation tree and
people come from tests/helpers/organisation_fixtures.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engine.clock import FrozenClock
from engine.definitions.deployment import deploy
from engine.definitions.spec_cache import SpecCache
from engine.instances.service import InstanceService
from tests.conftest import FIXTURES


@pytest.fixture
def service(session: Session, clock: FrozenClock) -> InstanceService:
    return InstanceService(session, clock=clock, specs=SpecCache())


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def deploy_fixture(session: Session, clock: FrozenClock, *names: str):  # type: ignore[no-untyped-def]
    """Deploy fixture files; forms they reference come from the fixture folder as a form library."""
    library = {path.stem: path.read_bytes() for path in FIXTURES.glob("*.json")}
    return deploy(session, {name: read_fixture(name) for name in names}, clock=clock, form_library=library)
