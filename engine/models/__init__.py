"""Every table of the engine; importing this module registers them all on `Base.metadata`."""

from engine.models.account import ApiToken, FailedLogin, SignInThrottle
from engine.models.appraisal import AppraisalBallot, AppraisalTally, BallotReceipt, BallotStatus, SealedBallot
from engine.models.audit import AuditChainHead, AuditEvent
from engine.models.calendar_day import CalendarDay, CalendarYear, DayKind, DaySource
from engine.models.disclosure import Disclosure, DisclosureOpinion, DisclosureScope, DisclosureStatus
from engine.models.instance import ACTIVE_STATUSES, Incident, InstanceStatus, ProcessInstance
from engine.models.organization import (
    ALLOWED_PARENT_KINDS,
    ROLE_TITLES_ZH,
    Organization,
    OrganizationKind,
    Person,
    Role,
    RoleAssignment,
)
from engine.models.process_definition import ProcessDefinition, ProcessDefinitionFile
from engine.models.rate_limit import RateLimitHit
from engine.models.standing import MEMBERSHIP_TITLES_ZH, MembershipStatus, PartyStanding, StepRecord
from engine.models.task import TaskStatus, UserTask
from engine.models.timer import Notification, Timer, TimerKind, TimerState

__all__ = [
    "ACTIVE_STATUSES",
    "ALLOWED_PARENT_KINDS",
    "ROLE_TITLES_ZH",
    "ApiToken",
    "AppraisalBallot",
    "AppraisalTally",
    "AuditChainHead",
    "AuditEvent",
    "BallotReceipt",
    "BallotStatus",
    "CalendarDay",
    "CalendarYear",
    "DayKind",
    "DaySource",
    "Disclosure",
    "DisclosureOpinion",
    "DisclosureScope",
    "DisclosureStatus",
    "FailedLogin",
    "Incident",
    "InstanceStatus",
    "Organization",
    "OrganizationKind",
    "Person",
    "ProcessDefinition",
    "ProcessDefinitionFile",
    "ProcessInstance",
    "RateLimitHit",
    "Role",
    "RoleAssignment",
    "SignInThrottle",
    "MEMBERSHIP_TITLES_ZH",
    "MembershipStatus",
    "Notification",
    "PartyStanding",
    "SealedBallot",
    "StepRecord",
    "TaskStatus",
    "Timer",
    "TimerKind",
    "TimerState",
    "UserTask",
]
