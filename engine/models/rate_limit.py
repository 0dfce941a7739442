"""Attempts counted against a rate limit, kept in the database so that every web process sees the
same counts and a restart forgets none."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class RateLimitHit(Base):
    """One attempt by one client (an address, or a signed-in person) against one limit's bucket."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_bucket_client_hit_at", "bucket", "client", "hit_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(80))
    hit_at: Mapped[datetime] = mapped_column(DateTime)
