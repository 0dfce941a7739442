"""Reading and deploying the engine tests' fixture BPMN files."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.clock import FrozenClock
from engine.definitions.deployment import deploy
from tests.helpers.paths import FIXTURES


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def deploy_fixture(session: Session, clock: FrozenClock, *names: str):  # type: ignore[no-untyped-def]
    """Deploy fixture files; forms they reference come from the fixture folder as a form library."""
    library = {path.stem: path.read_bytes() for path in FIXTURES.glob("*.json")}
    return deploy(session, {name: read_fixture(name) for name in names}, clock=clock, form_library=library)
