"""Fixtures for engine tests: services and deploying fixture BPMN files (the organisation tree and
people come from tests/helpers/organisation_fixtures.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import FrozenClock
from engine.definitions.spec_cache import SpecCache
from engine.instances.service import InstanceService
from engine.models import ProcessInstance, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture


@pytest.fixture
def service(session: Session, clock: FrozenClock) -> InstanceService:
    return InstanceService(session, clock=clock, specs=SpecCache())


@pytest.fixture
def history(session, service, clock, org_tree, people) -> ProcessInstance:  # type: ignore[no-untyped-def]
    """A review started, claimed and completed by the drafter: a short audit trail to check or tamper with."""
    deploy_fixture(session, clock, "review_loop.bpmn")
    instance = service.start("review_loop", org_tree.branch_a.id, data={"title": "审计"}, actor_id=people["drafter"].id)
    task = session.scalars(select(UserTask).where(UserTask.status == TaskStatus.OPEN)).one()
    service.claim(task.id, actor_id=people["drafter"].id)
    service.complete_task(task.id, {"title": "审计 v2"}, actor_id=people["drafter"].id)
    return instance
