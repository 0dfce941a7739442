"""What every instance command shares: one transaction, the instance row lock and optimistic
version, restoring and saving the workflow state, and the audit entries chained at commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.audit import AuditEntry, append_events
from engine.clock import Clock
from engine.definitions.spec_cache import SpecCache
from engine.errors import Conflict, EngineError, InvalidCommand, NotFound
from engine.instances.inbox_projection import open_rows
from engine.instances.row_writes import insert_rows, write_changed
from engine.instances.serialization import SERIALIZER_VERSION, state_from_json, state_to_json
from engine.models import (
    ACTIVE_STATUSES,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
    Timer,
    UserTask,
)
from engine.timers.doorbell import Doorbell
from engine.timers.spiff_clock import running_on

T = TypeVar("T")


class DefinitionHeader(NamedTuple):
    """The deployed version a command starts: enough to find its spec and to name it."""

    id: int
    key: str
    version: int


# Built once: a statement built per command costs more than running it.
_TASK_OWNER = select(UserTask.instance_id).where(UserTask.id == bindparam("task_id")).scalar_subquery()
_LOCK_TASK_INSTANCE = (
    select(ProcessInstance).where(ProcessInstance.id == _TASK_OWNER).with_for_update().execution_options(populate_existing=True)
)
_LOCK_INSTANCE = (
    select(ProcessInstance)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
# Which version to start: only its id, key and number (the parsed spec comes from the spec cache).
_DEFINITIONS = ProcessDefinition.__table__
_DEFINITION_HEADER = select(_DEFINITIONS.c.id, _DEFINITIONS.c.key, _DEFINITIONS.c.version)
_LATEST_DEFINITION = _DEFINITION_HEADER.where(_DEFINITIONS.c.key == bindparam("key")).order_by(_DEFINITIONS.c.version.desc()).limit(1)
_DEFINITION_VERSION = _DEFINITION_HEADER.where(_DEFINITIONS.c.key == bindparam("key"), _DEFINITIONS.c.version == bindparam("version"))
# The rows every command writes; anything else goes through the unit of work.
_OWN_ROWS = (ProcessInstance, UserTask)


class CommandBase:
    session: Session
    clock: Clock
    specs: SpecCache
    doorbell: Doorbell
    script_engine: PythonScriptEngine

    def _begin(self) -> None:
        self._pending_audit: list[AuditEntry] = []
        self._open_rows: list[UserTask] = []
        self._new_rows: list[UserTask] = []
        self._ring_after_commit: list[Timer] = []

    def _save_state(self, instance: ProcessInstance, workflow: BpmnWorkflow, state_json: str | None = None) -> None:
        instance.state_json = state_to_json(workflow) if state_json is None else state_json
        instance.serializer_version = SERIALIZER_VERSION
        self._touch(instance)

    def _touch(self, instance: ProcessInstance) -> None:
        instance.updated_at = self.clock.now()
        instance.version += 1

    def _restore(self, instance: ProcessInstance) -> BpmnWorkflow:
        specs = self.specs.get(self.session, instance.definition_id)
        workflow = state_from_json(instance.state_json, specs)
        workflow.script_engine = self.script_engine
        return workflow

    def _definition(self, process_key: str, version: int | None) -> DefinitionHeader:
        connection = self.session.connection()
        if version is None:
            row = connection.execute(_LATEST_DEFINITION, {"key": process_key}).first()
        else:
            row = connection.execute(_DEFINITION_VERSION, {"key": process_key, "version": version}).first()
        if row is None:
            raise NotFound(f"流程定义不存在 (no deployed process {process_key!r})")
        return DefinitionHeader(*row)

    def _locked_task(self, task_id: str, expected_version: int | None) -> tuple[UserTask, ProcessInstance]:
        instance = self.session.scalars(_LOCK_TASK_INSTANCE, {"task_id": task_id}).one_or_none()
        if instance is None:
            raise NotFound(f"任务不存在 (task {task_id} not found)")
        self._check_version(instance, expected_version)
        self._require_running(instance)
        # Read after the instance lock, so a task another command just finished shows as finished.
        row = next((r for r in self._load_open_rows(instance) if r.id == task_id), None)
        if row is None:
            finished = self.session.get(UserTask, task_id, populate_existing=True)
            assert finished is not None
            self._require_open(finished)
        assert row is not None
        return row, instance

    def _load_open_rows(self, instance: ProcessInstance) -> list[UserTask]:
        self._open_rows = open_rows(self.session, instance.id)
        return self._open_rows

    def _require_open(self, row: UserTask) -> None:
        if row.status != TaskStatus.OPEN:
            raise Conflict(f"任务已{_TASK_STATUS_ZH[row.status]} (task is already {row.status.value})")

    def _load_instance(self, instance_id: int, expected_version: int | None) -> ProcessInstance:
        # Row-lock first, in every command, so concurrent commands queue in one order (no deadlock)
        # and the second one sees what the first committed.
        instance = self.session.scalars(_LOCK_INSTANCE, {"instance_id": instance_id}).one_or_none()
        if instance is None:
            raise NotFound(f"流程实例不存在 (process instance {instance_id} not found)")
        self._check_version(instance, expected_version)
        return instance

    def _check_version(self, instance: ProcessInstance, expected_version: int | None) -> None:
        if expected_version is not None and instance.version != expected_version:
            raise Conflict(
                f"流程实例已被他人更新，请刷新后重试 (instance is at version {instance.version}, not {expected_version}; reload and retry)"
            )

    def _active_instance(self, instance_id: int, expected_version: int | None) -> ProcessInstance:
        instance = self._load_instance(instance_id, expected_version)
        self._require_running(instance)
        return instance

    def _require_running(self, instance: ProcessInstance) -> None:
        if instance.status == InstanceStatus.RUNNING:
            return
        if instance.status in ACTIVE_STATUSES:
            raise InvalidCommand(f"流程实例处于{_STATUS_ZH[instance.status]}状态 (instance is {instance.status.value})")
        raise Conflict(f"流程实例已{_STATUS_ZH[instance.status]} (instance is already {instance.status.value})")

    def _audit(self, event_type: str, instance: ProcessInstance, actor_id: int | None, **values: Any) -> None:
        self._pending_audit.append(
            AuditEntry(event_type, actor_id=actor_id, organization_id=instance.organization_id, instance_id=instance.id, **values)
        )

    def _transaction(self, command: Callable[[], T]) -> T:
        # Audit entries are chained at the very end so the chain head is locked only briefly.
        self._begin()
        try:
            # One write at the end instead of a flush before every query: commands read rows they
            # have already locked, so they never need their own pending writes flushed early.
            with self.session.no_autoflush, running_on(self.clock):
                result = command()
            self._write()
            append_events(self.session, self.clock, self._pending_audit)
            self.session.commit()
        except EngineError:
            self.session.rollback()
            raise
        except StaleDataError as error:
            self.session.rollback()
            raise Conflict("流程实例已被他人更新，请刷新后重试 (instance changed concurrently; reload and retry)") from error
        except (IntegrityError, OperationalError) as error:
            self.session.rollback()
            if _is_lock_conflict(error):
                raise Conflict("数据正被他人修改，请稍后重试 (the data is being changed by someone else; retry)") from error
            raise
        except BaseException:
            self.session.rollback()
            raise
        # After the commit: a lost bell is found again by the reconciler, a rung one is harmless.
        self.doorbell.ring([(timer.id, timer.due_at) for timer in self._ring_after_commit])
        return result

    def _write(self) -> None:
        # The instance's version-checked UPDATE goes first: a stale command fails there as a
        # Conflict, before its new task rows could collide with the ones the winner inserted.
        if not write_changed(self.session, _OWN_ROWS):
            self.session.flush()
        insert_rows(self.session, self._new_rows)
        self.session.flush()


# Two tables: TaskStatus and InstanceStatus are str enums, so "completed" would collide as a key.
_TASK_STATUS_ZH = {
    TaskStatus.OPEN: "待办",
    TaskStatus.COMPLETED: "完成",
    TaskStatus.CANCELLED: "取消",
}
_STATUS_ZH = {
    InstanceStatus.RUNNING: "运行",
    InstanceStatus.SUSPENDED: "挂起",
    InstanceStatus.INCIDENT: "故障",
    InstanceStatus.COMPLETED: "结束",
    InstanceStatus.CANCELLED: "取消",
}


def _is_lock_conflict(error: IntegrityError | OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "could not serialize" in text or "deadlock" in text
