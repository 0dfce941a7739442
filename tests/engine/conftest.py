"""Fixtures for engine tests: services and deploying fixture BPMN files (the organisation tree and
people come from tests/helpers/organisation_fixtures.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from engine.clock import FrozenClock
from engine.definitions.spec_cache import SpecCache
from engine.instances.service import InstanceService


@pytest.fixture
def service(session: Session, clock: FrozenClock) -> InstanceService:
    return InstanceService(session, clock=clock, specs=SpecCache())
