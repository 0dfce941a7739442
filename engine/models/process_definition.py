"""Deployed process definitions: one row per (process key, version), the parsed spec stored once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        UniqueConstraint("key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(16))
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    files: Mapped[list[ProcessDefinitionFile]] = relationship(back_populates="definition", order_by="ProcessDefinitionFile.filename")


class ProcessDefinitionFile(Base):
    """The exact bytes that were deployed, so a version can be shown, diffed and redeployed."""

    __tablename__ = "process_definition_files"
    __table_args__ = (UniqueConstraint("definition_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    definition: Mapped[ProcessDefinition] = relationship(back_populates="files")
