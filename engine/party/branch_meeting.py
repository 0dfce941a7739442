"""Branch meeting votes (支部大会表决), computed from what was recorded, never typed in.

Rules (《发展党员工作细则》§20–21, 党章 §7; docs/DOMAIN.md §2.1):
- only full members vote; probationary members have none;
- those who should attend (应到会有表决权人数) are the branch's full members less the permitted
  exclusions, each needing the higher committee's agreement and a branch-meeting decision;
- quorum: voting members present more than half of those who should attend;
- carried: yes votes more than half of those who should attend (not of those present), counting the
  written opinions absent voting members handed in before the meeting;
- several candidates are voted one by one: one tally each.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.errors import EngineError


class Exclusion(enum.StrEnum):
    """The five cases in which a member may be left out of 应到会 (local practice on 中组部 guidance)."""

    ILLNESS = "illness"  # 因病不能表达本人意志
    ABROAD = "abroad"  # 自费出国半年以上
    IN_CUSTODY = "in_custody"  # 正在服刑
    BEDRIDDEN = "bedridden"  # 卧床不起、生活不能自理
    AWAY_UNTRANSFERRED = "away_untransferred"  # 外出半年以上、组织关系应转未转


class Ballot(enum.StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class VoteInvalid(EngineError):
    """A meeting record that cannot be right; `part` names what is wrong in it (the tally, who was
    present, the exclusions, the written opinions)."""

    code = "vote_invalid"

    def __init__(self, message: str, part: str = "tally"):
        super().__init__(message)
        self.part = part


@dataclass(frozen=True)
class ExcludedMember:
    person_id: int
    reason: Exclusion
    higher_committee_agreed: bool
    branch_meeting_decided: bool


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain


@dataclass(frozen=True)
class CandidateResult:
    candidate_id: int
    should_attend: int
    present: int
    yes_votes: int  # ballots in the room plus written opinions in favour
    quorate: bool
    carried: bool
    explanation: str


def decide(
    full_members: Sequence[int],
    excluded: Sequence[ExcludedMember],
    present: Sequence[int],
    written_opinions: Mapping[int, Ballot],
    tallies: Mapping[int, Tally],
) -> list[CandidateResult]:
    """One result per candidate, in the order given. Raises VoteInvalid, changing nothing."""
    voters = _should_attend(full_members, excluded)
    in_room = _present_voters(voters, present)
    _check_written_opinions(voters, in_room, written_opinions)
    if not tallies:
        raise VoteInvalid("没有候选人的表决结果 (no candidate's tally was recorded)")
    return [_result(candidate, tally, voters, in_room, written_opinions) for candidate, tally in tallies.items()]


def _should_attend(full_members: Sequence[int], excluded: Sequence[ExcludedMember]) -> set[int]:
    members = set(full_members)
    if len(members) != len(full_members):
        raise VoteInvalid("正式党员名单有重复 (the list of full members has duplicates)", "members")
    for exclusion in excluded:
        if exclusion.person_id not in members:
            raise VoteInvalid(f"被排除的 {exclusion.person_id} 不是本支部正式党员 (excluded person is not a full member)", "excluded")
        if not (exclusion.higher_committee_agreed and exclusion.branch_meeting_decided):
            raise VoteInvalid(
                f"不计入应到会人数须经上级党委同意并由支部大会决定 (excluding {exclusion.person_id} needs the higher "
                "committee's agreement and a branch-meeting decision)",
                "exclusions_agreed",
            )
    voters = members - {exclusion.person_id for exclusion in excluded}
    if not voters:
        raise VoteInvalid("应到会有表决权的党员为零 (nobody is entitled to vote)", "excluded")
    return voters


def _present_voters(voters: set[int], present: Sequence[int]) -> set[int]:
    strangers = set(present) - voters
    if strangers:
        raise VoteInvalid(
            f"到会表决人员中有人没有表决权（预备党员或不计入应到会者）：{sorted(strangers)} "
            f"(present voters include people without a vote: {sorted(strangers)})",
            "present",
        )
    return set(present)


def _check_written_opinions(voters: set[int], in_room: set[int], written: Mapping[int, Ballot]) -> None:
    for person_id in written:
        if person_id not in voters:
            raise VoteInvalid(f"{person_id} 没有表决权，书面意见无效 (a written opinion from someone without a vote)", "written")
        if person_id in in_room:
            raise VoteInvalid(f"{person_id} 已到会，不能同时提交书面意见 (a present member cannot also vote in writing)", "written")


def _result(candidate: int, tally: Tally, voters: set[int], in_room: set[int], written: Mapping[int, Ballot]) -> CandidateResult:
    if min(tally.yes, tally.no, tally.abstain) < 0:
        raise VoteInvalid("票数不能为负 (vote counts cannot be negative)")
    if tally.total != len(in_room):
        raise VoteInvalid(
            f"候选人 {candidate} 的票数合计 {tally.total} 与到会有表决权人数 {len(in_room)} 不符 "
            f"(the ballots for candidate {candidate} add up to {tally.total}, but {len(in_room)} voters are present)"
        )
    should_attend, present = len(voters), len(in_room)
    yes_votes = tally.yes + sum(1 for ballot in written.values() if ballot == Ballot.YES)
    quorate = present * 2 > should_attend
    carried = quorate and yes_votes * 2 > should_attend
    return CandidateResult(
        candidate, should_attend, present, yes_votes, quorate, carried, _explain(should_attend, present, yes_votes, quorate, carried)
    )


def _explain(should_attend: int, present: int, yes_votes: int, quorate: bool, carried: bool) -> str:
    if not quorate:
        return (
            f"应到会 {should_attend} 人，实到 {present} 人，未超过半数，会议不能作出决定 "
            f"({present} of {should_attend} present: no quorum, the meeting cannot decide)"
        )
    verdict = "通过" if carried else "未通过"
    return (
        f"应到会 {should_attend} 人，实到 {present} 人，赞成 {yes_votes} 票（含书面意见），"
        f"{'超过' if carried else '未超过'}应到会人数的半数，{verdict} "
        f"({yes_votes} in favour of {should_attend} entitled: {'carried' if carried else 'not carried'})"
    )
