"""The Core writes of a command's own rows behave as the ORM flush they replace: the optimistic
version check, defaults, and objects left persistent with nothing pending."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm.exc import StaleDataError

from engine.instances.row_writes import insert_rows, write_changed
from engine.models import Incident, ProcessInstance, TaskStatus, UserTask
from tests.helpers.deploying import deploy_fixture

OWN_ROWS = (ProcessInstance, UserTask)


@pytest.fixture
def instance(session, service, org_tree, people, clock):  # type: ignore[no-untyped-def]
    deploy_fixture(session, clock, "review_loop.bpmn")
    return service.start("review_loop", org_tree.branch_a.id, actor_id=people["drafter"].id)


def test_changed_columns_are_written_and_the_object_left_clean(session, instance):
    version = instance.version
    instance.business_key, instance.version = "GK-1", version + 1

    assert write_changed(session, OWN_ROWS)

    assert not session.dirty
    session.commit()
    assert session.execute(select(ProcessInstance.business_key, ProcessInstance.version)).one() == ("GK-1", version + 1)


def test_a_stale_version_writes_nothing(session, session_factory, instance):
    with session_factory() as other:
        other.get(ProcessInstance, instance.id).version += 1
        other.commit()
    instance.business_key, instance.version = "stale", instance.version + 1

    with pytest.raises(StaleDataError):
        write_changed(session, OWN_ROWS)
    session.rollback()

    assert session.scalar(select(ProcessInstance.business_key)) is None


def test_with_new_objects_pending_the_unit_of_work_writes_everything(session, instance, clock):
    instance.business_key = "GK-2"
    session.add(Incident(instance_id=instance.id, code="x", message="x", created_at=clock.now()))

    assert not write_changed(session, OWN_ROWS)
    assert instance in session.dirty


def test_inserted_rows_are_persistent_with_their_defaults(session, instance, clock):
    row = UserTask(
        id="00000000-0000-0000-0000-000000000001",
        instance_id=instance.id,
        process_key=instance.process_key,
        element_id="extra",
        status=TaskStatus.OPEN,
        created_at=clock.now(),
    )

    insert_rows(session, [row])

    state = inspect(row)
    assert state.persistent and not state.modified and not state.expired_attributes
    assert (row.priority, row.overdue, row.assignee_id) == (50, False, None)
    session.commit()
    session.expire_all()
    assert session.get(UserTask, row.id).priority == 50
