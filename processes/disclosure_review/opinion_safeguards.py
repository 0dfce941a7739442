"""What keeps the opinions on a disclosure honest: how often one client may leave them, and how
an author is shown. A signed-in author is shown by their account's name; a name a member of the
public types is shown marked unverified, so it can never pass as an office holder's."""

from __future__ import annotations

from datetime import timedelta

from engine.models import DisclosureOpinion
from engine.rate_limits import RateLimit

PER_DISCLOSURE = 5  # within ten minutes, on one disclosure
PER_HOUR = 20  # within an hour, on all disclosures together
UNVERIFIED = "（未验证）(unverified)"
ANONYMOUS = "匿名 (anonymous)"


def opinion_limits(disclosure_id: int) -> list[RateLimit]:
    return [
        RateLimit(
            f"opinion:disclosure:{disclosure_id}",
            PER_DISCLOSURE,
            timedelta(minutes=10),
            f"对同一公开事项提意见过于频繁（10 分钟内最多 {PER_DISCLOSURE} 条），请稍后再试"
            f" (too many opinions on this disclosure: at most {PER_DISCLOSURE} in 10 minutes; try again later)",
        ),
        RateLimit(
            "opinion:any",
            PER_HOUR,
            timedelta(hours=1),
            f"提意见过于频繁（1 小时内最多 {PER_HOUR} 条），请稍后再试 (too many opinions: at most {PER_HOUR} an hour; try again later)",
        ),
    ]


def typed_name(text: str | None) -> str | None:
    """A name as typed, on one line: line breaks and runs of spaces cannot push the mark away."""
    joined = " ".join((text or "").split())
    return joined or None


def shown_author(opinion: DisclosureOpinion) -> str:
    if opinion.author_id is not None:
        return opinion.author_name or ""
    if opinion.author_name:
        return f"{opinion.author_name}{UNVERIFIED}"
    return ANONYMOUS
