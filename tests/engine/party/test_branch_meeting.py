"""Branch meeting votes: quorum and majority over those who should attend, written opinions
counted, candidates one by one, and every inconsistent record refused."""

from __future__ import annotations

import pytest

from engine.party.branch_meeting import Ballot, ExcludedMember, Exclusion, Tally, VoteInvalid, decide

MEMBERS = list(range(1, 11))  # ten full members


def test_carried_by_more_than_half_of_those_who_should_attend():
    (result,) = decide(MEMBERS, [], present=list(range(1, 8)), written_opinions={}, tallies={100: Tally(6, 1, 0)})
    assert (result.should_attend, result.present, result.yes_votes) == (10, 7, 6)
    assert result.quorate and result.carried and "通过" in result.explanation


def test_half_exactly_is_not_a_majority_even_if_all_present_agree():
    # 6 present of 10 is a quorum; 5 yes of 10 entitled is not more than half.
    (result,) = decide(MEMBERS, [], present=list(range(1, 7)), written_opinions={}, tallies={100: Tally(5, 1, 0)})
    assert result.quorate and not result.carried and "未通过" in result.explanation


def test_written_opinions_of_absent_members_count():
    written = {9: Ballot.YES, 10: Ballot.NO}
    (result,) = decide(MEMBERS, [], present=list(range(1, 7)), written_opinions=written, tallies={100: Tally(5, 1, 0)})
    assert result.yes_votes == 6 and result.carried


def test_a_meeting_without_quorum_cannot_decide():
    (result,) = decide(MEMBERS, [], present=[1, 2, 3, 4, 5], written_opinions={6: Ballot.YES}, tallies={100: Tally(5, 0, 0)})
    assert not result.quorate and not result.carried and "不能作出决定" in result.explanation


def test_permitted_exclusions_shrink_those_who_should_attend():
    excluded = [ExcludedMember(p, Exclusion.ABROAD, True, True) for p in (9, 10)]
    (result,) = decide(MEMBERS, excluded, present=[1, 2, 3, 4, 5], written_opinions={}, tallies={100: Tally(5, 0, 0)})
    assert (result.should_attend, result.quorate, result.carried) == (8, True, True)


def test_candidates_are_voted_one_by_one():
    results = decide(MEMBERS, [], present=list(range(1, 9)), written_opinions={}, tallies={100: Tally(7, 1, 0), 200: Tally(4, 3, 1)})
    assert [(r.candidate_id, r.carried) for r in results] == [(100, True), (200, False)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tallies": {100: Tally(5, 1, 0)}}, "不符"),  # 7 present, 6 ballots
        ({"present": [1, 2, 3, 99]}, "没有表决权"),  # a probationary member or outsider in the count
        ({"written_opinions": {1: Ballot.YES}}, "已到会"),
        ({"written_opinions": {99: Ballot.YES}}, "没有表决权"),
        ({"excluded": [ExcludedMember(9, Exclusion.ILLNESS, True, False)]}, "上级党委同意"),
        ({"excluded": [ExcludedMember(42, Exclusion.ILLNESS, True, True)]}, "不是本支部正式党员"),
        ({"tallies": {}}, "没有候选人"),
        ({"tallies": {100: Tally(8, 0, -1)}}, "不能为负"),
    ],
)
def test_records_that_do_not_add_up_are_refused(kwargs, message):
    arguments = {
        "full_members": MEMBERS,
        "excluded": [],
        "present": list(range(1, 8)),
        "written_opinions": {},
        "tallies": {100: Tally(6, 1, 0)},
        **kwargs,
    }
    with pytest.raises(VoteInvalid, match=message):
        decide(**arguments)
