"""The instance lifecycle: every command is one transaction with an optimistic lock.

A command loads the instance, checks its version, acts on the restored workflow, runs engine steps,
writes the new state, re-projects the open user tasks, appends audit events and commits. Anything
that goes wrong before the commit rolls everything back; a stale version is a `Conflict`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.audit import AuditEntry, jsonable
from engine.calendar import WorkCalendar
from engine.calendar.due_rules import to_beijing_date
from engine.clock import SYSTEM_CLOCK, Clock
from engine.definitions.spec_cache import DEFAULT_SPEC_CACHE, SpecCache
from engine.errors import Conflict, InvalidCommand, NotFound, SubmissionRejected
from engine.instances.command_base import CommandBase
from engine.instances.execution import (
    DATA_LIMIT,
    DEFAULT_STEP_BUDGET,
    DEFAULT_TIME_BUDGET_SECONDS,
    IncidentReport,
    advance,
    final_end_event,
    oversized_state,
    run_submitted_task,
)
from engine.instances.inbox_projection import CandidateResolver, cancel_rows, project_tasks
from engine.instances.row_writes import insert_row
from engine.instances.serialization import SERIALIZER_VERSION, state_to_json
from engine.instances.start_data import checked_start_data, reserved_key_refusal, start_form_key
from engine.instances.start_limits import earlier_instance, start_period
from engine.instances.storable_data import take_out_unstorable_data
from engine.instances.submissions import store_submission
from engine.models import (
    Incident,
    InstanceStatus,
    Organization,
    Person,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
    Timer,
    TimerKind,
    TimerState,
    UserTask,
)
from engine.people.permissions import Actor, may_choose_rule_sets
from engine.people.start_rights import start_refusal
from engine.procedures.extensions import NO_EXTENSIONS, ProcessExtensions
from engine.procedures.rule_set_choice import choose_version, declared_rule_set
from engine.procedures.service_calls import ServiceCall, dispatching_script_engine
from engine.procedures.step_guards import StepContext, check_step
from engine.scripting.script_output import PrintedLine, collecting
from engine.sealing import Sealer
from engine.timers.doorbell import SILENT_DOORBELL, Doorbell
from engine.timers.firing import FireOutcome, lock_timer
from engine.timers.projection import cancel_all, project_bpmn_timers
from engine.timers.sla import cancel_sla, fire_sla_timer, schedule_sla
from engine.timers.spiff_clock import firing_due
from engine.timers.start_events import mark_start_timers_fired, next_occurrence, start_row, start_timers, target_organizations
from forms import SubmissionInvalid, validate_submission

_ORGANIZATION_EXISTS = select(Organization.__table__.c.id).where(Organization.__table__.c.id == bindparam("id"))


class InstanceService(CommandBase):
    """The instance lifecycle as a service: start, complete, claim, unclaim, delegate, cancel,
    suspend, resume, fire a timer. Each call is one transaction."""

    def __init__(
        self,
        session: Session,
        *,
        clock: Clock = SYSTEM_CLOCK,
        specs: SpecCache = DEFAULT_SPEC_CACHE,
        step_budget: int = DEFAULT_STEP_BUDGET,
        time_budget: float = DEFAULT_TIME_BUDGET_SECONDS,
        doorbell: Doorbell = SILENT_DOORBELL,
        extensions: ProcessExtensions = NO_EXTENSIONS,
        sealer: Sealer | None = None,
    ):
        self.session = session
        self.extensions = extensions
        self.sealer = sealer
        self.clock = clock
        self.specs = specs
        self.script_engine = dispatching_script_engine(self._call_service)
        self._service_context: tuple[ProcessInstance, int | None] | None = None
        self.step_budget = step_budget
        self.time_budget = time_budget
        self.doorbell = doorbell
        self._begin()
        self._candidates = CandidateResolver(session)
        # A deadline in a year whose holidays are not yet published is kept, marked provisional.
        self._calendar = WorkCalendar(session, allow_provisional=True)

    # -- commands -------------------------------------------------------------------------

    def start(
        self,
        process_key: str,
        organization_id: int,
        *,
        business_key: str | None = None,
        data: Mapping[str, Any] | None = None,
        actor_id: int | None = None,
        version: int | None = None,
    ) -> ProcessInstance:
        return self._transaction(lambda: self._start(process_key, organization_id, business_key, dict(data or {}), actor_id, version))

    def start_by_hand(
        self,
        process_key: str,
        organization_id: int,
        *,
        actor: Actor,
        business_key: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> ProcessInstance:
        """A person starting a process (the API, the pages): their start rights there, a business key
        that is not a timer's, and start data the process asks for, then `start`."""
        return self._transaction(lambda: self._start_by_hand(process_key, organization_id, actor, business_key, dict(data or {})))

    def complete_task(
        self, task_id: str, data: Mapping[str, Any], *, actor_id: int | None, expected_version: int | None = None
    ) -> ProcessInstance:
        return self._transaction(lambda: self._complete(task_id, dict(data), actor_id, expected_version))

    def claim(self, task_id: str, *, actor_id: int, expected_version: int | None = None) -> UserTask:
        return self._transaction(lambda: self._assign(task_id, actor_id, actor_id, "task.claimed", expected_version))

    def unclaim(self, task_id: str, *, actor_id: int, expected_version: int | None = None) -> UserTask:
        return self._transaction(lambda: self._assign(task_id, None, actor_id, "task.unclaimed", expected_version))

    def delegate(self, task_id: str, to_person_id: int, *, actor_id: int, expected_version: int | None = None) -> UserTask:
        return self._transaction(lambda: self._assign(task_id, to_person_id, actor_id, "task.delegated", expected_version))

    def cancel(
        self, instance_id: int, *, actor_id: int | None, reason: str | None = None, expected_version: int | None = None
    ) -> ProcessInstance:
        return self._transaction(lambda: self._cancel(instance_id, actor_id, reason, expected_version))

    def suspend(self, instance_id: int, *, actor_id: int | None, expected_version: int | None = None) -> ProcessInstance:
        return self._transaction(lambda: self._set_suspended(instance_id, True, actor_id, expected_version))

    def resume(self, instance_id: int, *, actor_id: int | None, expected_version: int | None = None) -> ProcessInstance:
        return self._transaction(lambda: self._set_suspended(instance_id, False, actor_id, expected_version))

    def fire_timer(self, timer_id: int) -> FireOutcome:
        """Fire a due timer once: a BPMN timer event moves its workflow on; an SLA row reminds or escalates."""
        return self._transaction(lambda: self._fire(timer_id))

    # -- command bodies -------------------------------------------------------------------

    def _start(
        self,
        process_key: str,
        organization_id: int,
        business_key: str | None,
        data: dict[str, Any],
        actor_id: int | None,
        version: int | None,
    ) -> ProcessInstance:
        definition = self._definition(process_key, version)
        spec, subprocess_specs = self.specs.get(self.session, definition.id)
        rule_set = declared_rule_set(spec)
        if rule_set is not None:
            today = to_beijing_date(self.clock.now())
            data["rule_set"] = rule_set
            organization = self._organization(organization_id)
            requested = data.get("rule_set_version")
            data["rule_set_version"] = choose_version(self.extensions.rule_sets, rule_set, organization, requested, today)
        elif self.session.connection().execute(_ORGANIZATION_EXISTS, {"id": organization_id}).first() is None:
            raise _no_organization(organization_id)
        period = start_period(spec)
        if period is not None:
            earlier = earlier_instance(self.session, definition.key, organization_id, period, self.clock.now())
            if earlier is not None:
                raise earlier.refusal(spec.description or definition.key)
        workflow = self._new_workflow(spec, subprocess_specs, data)
        now = self.clock.now()
        instance = ProcessInstance(
            definition_id=definition.id,
            process_key=definition.key,
            organization_id=organization_id,
            business_key=business_key,
            rule_set_version=data.get("rule_set_version") if rule_set is not None else None,
            status=InstanceStatus.RUNNING,
            state_json="{}",
            serializer_version=SERIALIZER_VERSION,
            version=0,  # saving the first state below makes it 1
            started_at=now,
            started_by_id=actor_id,
            updated_at=now,
        )
        # Inserted before the first engine steps: a service task may already need its id.
        insert_row(self.session, instance)
        self._audit(
            "instance.started",
            instance,
            actor_id,
            after={"process_key": definition.key, "version": definition.version, "business_key": business_key, "data": data},
        )
        # Over a data limit, the instance keeps the state it starts in, without the data that came with it.
        self._advance_and_save(instance, workflow, actor_id, lambda: self._new_workflow(spec, subprocess_specs, {}))
        return instance

    def _start_by_hand(
        self, process_key: str, organization_id: int, actor: Actor, business_key: str | None, data: dict[str, Any]
    ) -> ProcessInstance:
        definition = self._definition(process_key, None)
        spec = self.specs.get(self.session, definition.id)[0]
        refusal = start_refusal(
            self.session, actor, definition.key, spec.description or definition.key, organization_id, self.extensions.start_rules
        )
        if refusal is not None:
            raise refusal
        reserved = reserved_key_refusal(business_key, self.session.scalars(select(ProcessDefinition.key).distinct()))
        if reserved is not None:
            raise reserved
        form_key = start_form_key(spec)
        form = None if form_key is None else self.specs.forms(self.session, definition.id).get(form_key)
        checked = checked_start_data(
            data, form, declared_rule_set(spec), lambda: may_choose_rule_sets(self.session, actor, organization_id)
        )
        return self._start(definition.key, organization_id, business_key, checked, actor.id, definition.version)

    def _new_workflow(self, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec], data: dict[str, Any]) -> BpmnWorkflow:
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        mark_start_timers_fired(workflow)
        return workflow

    def _organization(self, organization_id: int) -> Organization:
        organization = self.session.get(Organization, organization_id)
        if organization is None:
            raise _no_organization(organization_id)
        return organization

    def _complete(self, task_id: str, data: dict[str, Any], actor_id: int | None, expected_version: int | None) -> ProcessInstance:
        row, instance = self._locked_task(task_id, expected_version)
        if row.assignee_id is not None and actor_id is not None and row.assignee_id != actor_id:
            raise Conflict("该任务已由他人认领 (this task is claimed by someone else)")
        data = self._validated(instance, row, data)
        workflow = self._restore(instance)
        task = workflow.get_task_from_id(UUID(task_id))
        if not task.has_state(TaskState.READY):
            raise Conflict("任务已不可办理 (this task is no longer open)")
        data = self._checked_step(instance, row, task, data, actor_id)
        store_submission(task, data)
        with collecting() as printed:
            incident = run_submitted_task(task, row.name or row.element_id)
        self._log_printed(instance, printed, actor_id)
        now = self.clock.now()
        row.status = TaskStatus.COMPLETED
        row.completed_at = now
        row.completed_by_id = actor_id
        row.completion_data = jsonable(data)
        self._audit("task.completed", instance, actor_id, task_id=task_id, after=row.completion_data)
        kept = (
            self._settle(instance, workflow, incident, actor_id)
            if incident is not None
            else self._advance_and_save(instance, workflow, actor_id)
        )
        if not kept:
            self._reopen_discarded(row, task_id)
        return instance

    def _reopen_discarded(self, row: UserTask, task_id: str) -> None:
        """Over a data limit the instance keeps its earlier state, in which this task is still open:
        so its row stays open too, and the audit says the completion was discarded."""
        row.status = TaskStatus.OPEN
        row.completed_at = row.completed_by_id = row.completion_data = None
        self._pending_audit = [
            replace(entry, event_type="task.completion_discarded")
            if entry.event_type == "task.completed" and entry.task_id == task_id
            else entry
            for entry in self._pending_audit
        ]

    def _validated(self, instance: ProcessInstance, row: UserTask, data: dict[str, Any]) -> dict[str, Any]:
        """Check a submission against the task's form; returns the typed values (dates, decimals)."""
        if row.form_key is None:
            return data
        form = self.specs.forms(self.session, instance.definition_id).get(row.form_key)
        if form is None:  # refused at deploy time; only a hand-edited database gets here
            raise InvalidCommand(f"表单不存在 (form {row.form_key!r} is missing from this version)")
        try:
            return validate_submission(form, data)
        except SubmissionInvalid as invalid:
            raise SubmissionRejected(invalid.errors) from None

    def _checked_step(
        self, instance: ProcessInstance, row: UserTask, task: Any, data: dict[str, Any], actor_id: int | None
    ) -> dict[str, Any]:
        """The procedural checks the task declares (dates, earliest dates, votes, sponsors …)."""
        properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
        if not ("step" in properties or "earliest" in properties or "guards" in properties):
            return data
        context = StepContext(
            self.session,
            self.clock,
            instance,
            actor_id,
            row.id,
            row.element_id,
            row.name or row.element_id,
            properties,
            task.data,
            data,
            self.extensions.rule_sets,
        )
        return check_step(context, self.extensions.step_guard)

    def _assign(self, task_id: str, assignee_id: int | None, actor_id: int, event_type: str, expected_version: int | None) -> UserTask:
        row, instance = self._locked_task(task_id, expected_version)
        if assignee_id is not None and self.session.get(Person, assignee_id) is None:
            raise NotFound(f"人员不存在 (person {assignee_id} not found)")
        if event_type == "task.claimed" and row.assignee_id not in (None, actor_id):
            raise Conflict("该任务已由他人认领 (this task is already claimed by someone else)")
        if event_type == "task.unclaimed" and row.assignee_id is None:
            raise InvalidCommand("该任务尚未被认领 (this task is not claimed)")
        if event_type != "task.claimed" and "assignee" in self._task_properties(instance, row.element_id):
            # The process gave it to one person (a member's own 个人自评): it is not passed around.
            raise InvalidCommand("该任务由流程指定本人办理，不能退回或转办 (this task is assigned to its person by the process)")
        before = {"assignee_id": row.assignee_id}
        row.assignee_id = assignee_id
        self._touch(instance)
        self._audit(event_type, instance, actor_id, task_id=task_id, before=before, after={"assignee_id": assignee_id})
        return row

    def _fire(self, timer_id: int) -> FireOutcome:
        timer = lock_timer(self.session, timer_id)
        if timer is None:
            return FireOutcome.BUSY
        if timer.state != TimerState.PENDING:
            return FireOutcome.ALREADY_DONE
        now = self.clock.now()
        if timer.due_at > now:
            return FireOutcome.EARLY
        if timer.kind == TimerKind.START:
            return self._fire_start(timer, now)
        if timer.instance_id is None:  # only a start timer belongs to no instance: nothing waits on this one
            timer.state = TimerState.CANCELLED
            return FireOutcome.STALE
        instance = self._load_instance(timer.instance_id, None)
        if instance.status != InstanceStatus.RUNNING:
            return FireOutcome.DEFERRED  # stays pending; fires once the instance runs again
        if timer.kind != TimerKind.BPMN:
            self._pending_audit.extend(
                fire_sla_timer(self.session, self.clock, timer, instance, self._task_properties(instance, timer.element_id))
            )
            self._touch(instance)
            return FireOutcome.FIRED if timer.state == TimerState.FIRED else FireOutcome.STALE
        self._load_open_rows(instance)
        workflow = self._restore(instance)
        event = workflow.tasks.get(UUID(timer.task_id))
        if event is None or not event.has_state(TaskState.WAITING):
            timer.state = TimerState.CANCELLED
            return FireOutcome.STALE
        timer.state, timer.fired_at = TimerState.FIRED, now
        self.session.flush()  # the re-projection below must see this occurrence as fired
        self._audit(
            "timer.fired",
            instance,
            None,
            task_id=timer.task_id,
            after={"element_id": timer.element_id, "due_at": timer.due_at.isoformat()},
        )
        with firing_due(self.clock, timer.due_at):
            workflow.refresh_timers()
        self._advance_and_save(instance, workflow, None)
        return FireOutcome.FIRED

    def _fire_start(self, timer: Timer, now: datetime) -> FireOutcome:
        """A timer start event: one instance per target organisation, then the next occurrence."""
        # A version that is gone (or none recorded) starts nothing: look it up before its cached spec.
        definition = None if timer.definition_id is None else self.session.get(ProcessDefinition, timer.definition_id)
        spec = None if definition is None else self.specs.get(self.session, definition.id)[0]
        scheduled = None if spec is None else next((t for t in start_timers(spec) if t.element_id == timer.element_id), None)
        if definition is None or spec is None or scheduled is None:
            timer.state = TimerState.CANCELLED
            return FireOutcome.STALE
        timer.state, timer.fired_at = TimerState.FIRED, now
        business_key = f"{definition.key}@{to_beijing_date(timer.due_at).isoformat()}"
        period = start_period(spec)
        started, skipped = [], {}
        for organization_id in target_organizations(self.session, scheduled.targets):
            earlier = self._earlier_start(definition.key, organization_id, business_key, period, now)
            if earlier is not None:
                skipped[str(organization_id)] = earlier
                continue
            data = {"scheduled_for": timer.due_at.isoformat()}
            started.append(self._start(definition.key, organization_id, business_key, data, None, definition.version).id)
        following = next_occurrence(scheduled, timer.due_at)
        if following is not None:
            row = start_row(definition.id, timer.element_id, following, now)
            self.session.add(row)
            self._ring_after_commit.append(row)
        self._pending_audit.append(
            AuditEntry(
                "timer.fired",
                after={
                    "process_key": definition.key,
                    "version": definition.version,
                    "element_id": timer.element_id,
                    "started_instances": started,
                    "skipped_organizations": skipped,
                    "next_due_at": following.isoformat() if following else None,
                },
            )
        )
        return FireOutcome.FIRED

    def _earlier_start(self, process_key: str, organization_id: int, business_key: str, period: str | None, now: datetime) -> int | None:
        """The organisation's instance that makes this occurrence's start for it redundant: one with
        the occurrence's business key, or one within the `once_per` period; a cancelled one is none."""
        same_occurrence = self.session.scalar(
            select(ProcessInstance.id).where(
                ProcessInstance.process_key == process_key,
                ProcessInstance.organization_id == organization_id,
                ProcessInstance.business_key == business_key,
                ProcessInstance.status != InstanceStatus.CANCELLED,
            )
        )
        if same_occurrence is not None or period is None:
            return same_occurrence
        earlier = earlier_instance(self.session, process_key, organization_id, period, now)
        return None if earlier is None else earlier.instance_id

    def _cancel(self, instance_id: int, actor_id: int | None, reason: str | None, expected_version: int | None) -> ProcessInstance:
        instance = self._active_instance(instance_id, expected_version)
        workflow = self._restore(instance)
        workflow.cancel()
        now = self.clock.now()
        for row in cancel_rows(self._load_open_rows(instance), now):
            self._audit("task.cancelled", instance, actor_id, task_id=row.id)
        for timer in cancel_all(self.session, instance.id):
            self._audit("timer.cancelled", instance, actor_id, task_id=timer.task_id, after={"kind": timer.kind.value})
        before = {"status": instance.status.value}
        instance.status = InstanceStatus.CANCELLED
        instance.ended_at = now
        self._save_state(instance, workflow)
        self._audit("instance.cancelled", instance, actor_id, before=before, after={"status": "cancelled", "reason": reason})
        return instance

    def _set_suspended(self, instance_id: int, suspend: bool, actor_id: int | None, expected_version: int | None) -> ProcessInstance:
        instance = self._load_instance(instance_id, expected_version)
        wanted_from = InstanceStatus.RUNNING if suspend else InstanceStatus.SUSPENDED
        if instance.status != wanted_from:
            raise InvalidCommand(
                f"流程实例当前状态为 {instance.status.value}，不能{'挂起' if suspend else '恢复'}"
                f" (cannot {'suspend' if suspend else 'resume'} an instance that is {instance.status.value})"
            )
        instance.status = InstanceStatus.SUSPENDED if suspend else InstanceStatus.RUNNING
        self._touch(instance)
        self._audit(
            "instance.suspended" if suspend else "instance.resumed",
            instance,
            actor_id,
            before={"status": wanted_from.value},
            after={"status": instance.status.value},
        )
        return instance

    # -- shared steps ---------------------------------------------------------------------

    def _advance_and_save(
        self,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        actor_id: int | None,
        initial: Callable[[], BpmnWorkflow] | None = None,
    ) -> bool:
        """Run engine steps and store the outcome; `initial` builds the state of an instance that has
        none stored yet. False when the new state was over a data limit and not kept."""
        self._service_context = (instance, actor_id)
        try:
            with collecting() as printed:
                incident = advance(workflow, self.step_budget, self.time_budget)
            self._log_printed(instance, printed, actor_id)
        finally:
            self._service_context = None
        return self._settle(instance, workflow, incident, actor_id, initial)

    def _log_printed(self, instance: ProcessInstance, printed: list[PrintedLine], actor_id: int | None) -> None:
        """What scripts printed goes to the instance's log: one audit event per step that printed."""
        by_step: dict[str, list[str]] = {}
        for element_id, text in printed:
            by_step.setdefault(element_id, []).append(text)
        for element_id, lines in by_step.items():
            self._audit("script.printed", instance, actor_id, after={"element_id": element_id, "lines": lines})

    def _settle(
        self,
        instance: ProcessInstance,
        workflow: BpmnWorkflow,
        incident: IncidentReport | None,
        actor_id: int | None,
        initial: Callable[[], BpmnWorkflow] | None = None,
    ) -> bool:
        """Settle where the engine steps stopped; False when nothing of the new state was kept: over a
        data limit the instance keeps the state it had before this command (its open tasks and timers
        too) and stops with the incident."""
        unstorable = take_out_unstorable_data(workflow)
        state_json = None
        if incident is None or incident.code != DATA_LIMIT:
            state_json = state_to_json(workflow)
            incident = oversized_state(state_json) or incident
        if incident is not None and incident.code == DATA_LIMIT:
            if initial is not None:
                self._save_state(instance, initial())
            else:
                self._touch(instance)
            self._raise_incident(instance, incident, actor_id)
            return False
        self._record_outcome(instance, workflow, incident or unstorable, actor_id)
        if incident is not None and unstorable is not None:
            self._raise_incident(instance, unstorable, actor_id)
        self._save_state(instance, workflow, state_json)
        return True

    def _record_outcome(
        self, instance: ProcessInstance, workflow: BpmnWorkflow, incident: IncidentReport | None, actor_id: int | None
    ) -> None:
        """Project the inbox and settle the instance's status after engine steps ran."""
        now = self.clock.now()
        change = project_tasks(instance, workflow, self._open_rows, now, self._candidates)
        self._new_rows.extend(change.created)
        for row in change.created:
            offered_to = {
                "element_id": row.element_id,
                "candidate_role": row.candidate_role,
                "candidate_organization_id": row.candidate_organization_id,
            }
            self._audit("task.created", instance, actor_id, task_id=row.id, after=offered_to)
        for row in change.cancelled:
            self._audit("task.cancelled", instance, actor_id, task_id=row.id)
        timers = project_bpmn_timers(self.session, instance, workflow, now)
        timers.scheduled.extend(self._schedule_slas(change.created, workflow, now))
        closed = [row for row in self._open_rows if row.status != TaskStatus.OPEN] + change.cancelled
        timers.cancelled.extend(cancel_sla(self.session, instance.id, {row.id for row in closed if row.due_rule}))
        for timer in timers.scheduled:
            self._ring_after_commit.append(timer)
            self._audit(
                "timer.scheduled",
                instance,
                actor_id,
                task_id=timer.task_id,
                after={"element_id": timer.element_id, "due_at": timer.due_at.isoformat()},
            )
        for timer in timers.cancelled:
            self._audit("timer.cancelled", instance, actor_id, task_id=timer.task_id, after={"kind": timer.kind.value})
        if incident is not None:
            self._raise_incident(instance, incident, actor_id)
        elif workflow.is_completed():
            instance.status = InstanceStatus.COMPLETED
            instance.ended_at = now
            instance.end_event_id = final_end_event(workflow)
            self._audit("instance.completed", instance, actor_id, after={"status": "completed", "end_event_id": instance.end_event_id})

    def _call_service(self, name: str, params: Mapping[str, Any], task_data: Mapping[str, Any]) -> dict[str, Any]:
        """A service task's operation, run inside the current command's transaction."""
        if self._service_context is None:
            raise InvalidCommand(f"服务任务只能在流程推进时调用 (service {name!r} called outside a command)")
        handler = self.extensions.service_calls.get(name)
        if handler is None:
            raise InvalidCommand(f"引擎没有名为 {name} 的服务 (no service task operation named {name!r})")
        instance, actor_id = self._service_context

        def start_process(process_key: str, data: Mapping[str, Any], business_key: str | None) -> ProcessInstance:
            return self._start_within(process_key, instance.organization_id, business_key, data, actor_id)

        return handler(
            ServiceCall(
                self.session, self.clock, instance, actor_id, params, task_data, start_process, self.extensions.rule_sets, self.sealer
            )
        )

    def _start_within(
        self, process_key: str, organization_id: int, business_key: str | None, data: Mapping[str, Any], actor_id: int | None
    ) -> ProcessInstance:
        """Start another process inside this command (a service task opening a follow-up case): its
        rows, audit events and timers join this command's, and commit or roll back with it."""
        nested = InstanceService(
            self.session,
            clock=self.clock,
            specs=self.specs,
            step_budget=self.step_budget,
            time_budget=self.time_budget,
            doorbell=self.doorbell,
            extensions=self.extensions,
            sealer=self.sealer,
        )
        started = nested._start(process_key, organization_id, business_key, dict(data), actor_id, None)
        self._pending_audit.extend(nested._pending_audit)
        self._new_rows.extend(nested._new_rows)
        self._ring_after_commit.extend(nested._ring_after_commit)
        return started

    def _schedule_slas(self, created: list[UserTask], workflow: BpmnWorkflow, now: datetime) -> list[Timer]:
        scheduled: list[Timer] = []
        for row in created:
            if row.due_rule:
                data = workflow.get_task_from_id(UUID(row.id)).data
                scheduled.extend(schedule_sla(self.session, self._calendar, row, data, now, self.extensions.rule_sets))
        return scheduled

    def _task_properties(self, instance: ProcessInstance, element_id: str) -> dict[str, str]:
        spec, subprocess_specs = self.specs.get(self.session, instance.definition_id)
        for process in (spec, *subprocess_specs.values()):
            task_spec = process.task_specs.get(element_id)
            if task_spec is not None:
                return (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        return {}

    def _raise_incident(self, instance: ProcessInstance, report: IncidentReport, actor_id: int | None) -> None:
        instance.status = InstanceStatus.INCIDENT
        incident = Incident(
            instance_id=instance.id,
            code=report.code,
            message=report.message,
            element_id=report.element_id,
            created_at=self.clock.now(),
        )
        self.session.add(incident)
        self._audit(
            "incident.raised",
            instance,
            actor_id,
            after={"code": report.code, "message": report.message, "element_id": report.element_id},
        )


def _no_organization(organization_id: int) -> NotFound:
    return NotFound(f"组织不存在 (organization {organization_id} not found)")
