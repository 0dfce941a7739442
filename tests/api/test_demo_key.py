"""Demo mode's session key: random, made once and kept in the instance folder (0600), never a
constant anyone can read in the source; and a server with that key stays on this machine."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select

from api.app import create_app
from api.http.database import dispose_database
from api.settings import SettingsError, check_bind_address, read_settings
from engine.clock import FrozenClock
from engine.models import Person

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OLD_CONSTANT_KEY = "demo-only-secret-key"
EVERY_ADDRESS = "0.0.0.0"  # noqa: S104  (what is refused)


@pytest.fixture
def demo_app(database_url: str, session_factory, clock: FrozenClock, tmp_path: Path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """The app as `make run` builds it: demo mode, no SECRET_KEY, not a test app."""
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True, "WF_INSTANCE_DIR": tmp_path})
    yield app
    dispose_database(app)


def admin_cookie(secret_key: str, admin: Person, clock: FrozenClock) -> str:
    """A session cookie naming the administrator, signed with `secret_key` as Flask signs them."""
    signer = Flask("forger")
    signer.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    assert serializer is not None
    now = int(clock.now().replace(tzinfo=UTC).timestamp())
    return str(serializer.dumps({"person_id": admin.id, "generation": admin.session_generation, "signed_in_at": now, "seen_at": now}))


def test_a_cookie_signed_with_the_old_constant_key_opens_nothing(demo_app, demo, session, clock):
    admin = session.scalars(select(Person).where(Person.username == "admin")).one()
    forged, genuine = demo_app.test_client(), demo_app.test_client()
    forged.set_cookie("session", admin_cookie(OLD_CONSTANT_KEY, admin, clock))
    genuine.set_cookie("session", admin_cookie(demo_app.secret_key, admin, clock))

    assert forged.get("/audit").status_code == 302  # sent to sign in
    assert genuine.get("/audit").status_code == 200  # the same cookie with the real key opens it


def test_the_demo_key_is_random_private_and_kept_across_restarts(database_url, session_factory, clock, tmp_path):
    keys = []
    for _ in range(2):
        app = create_app({"DATABASE_URL": database_url, "REDIS_URL": None, "CLOCK": clock, "WF_DEMO": True, "WF_INSTANCE_DIR": tmp_path})
        keys.append(app.secret_key)
        dispose_database(app)

    key_file = tmp_path / "demo_secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert keys[0] == keys[1] == key_file.read_text()
    assert len(keys[0]) == 64 and keys[0] != OLD_CONSTANT_KEY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.key", "demo_secret_key"]  # no draft left behind


def test_each_instance_folder_gets_its_own_demo_key(tmp_path):
    first = create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": None, "WF_DEMO": True, "WF_INSTANCE_DIR": tmp_path / "a"})
    second = create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": None, "WF_DEMO": True, "WF_INSTANCE_DIR": tmp_path / "b"})
    try:
        assert first.secret_key != second.secret_key
    finally:
        dispose_database(first)
        dispose_database(second)


def test_the_launcher_refuses_a_public_address_with_the_demo_key(tmp_path):
    env = {name: value for name, value in os.environ.items() if name not in ("SECRET_KEY", "REDIS_URL")}
    env.update(WF_DEMO="1", WF_HOST=EVERY_ADDRESS, DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}", PORT="5999")
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "api.launcher", "--instance-dir", str(tmp_path / "instance")],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired as still_running:
        raise AssertionError("the launcher started serving on 0.0.0.0 with the demo key") from still_running
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "演示模式使用演示密钥，只能绑定本机地址" in finished.stdout + finished.stderr
    assert "WF_HOST='0.0.0.0'" in finished.stdout + finished.stderr


@pytest.mark.parametrize(
    ("environment", "allowed"),
    [
        ({"WF_DEMO": "1", "WF_HOST": "127.0.0.1"}, True),
        ({"WF_DEMO": "1", "WF_HOST": "::1"}, True),
        ({"WF_DEMO": "1", "WF_HOST": "localhost"}, True),
        ({"WF_DEMO": "1", "WF_HOST": EVERY_ADDRESS}, False),
        ({"WF_DEMO": "1", "WF_HOST": "::"}, False),
        ({"WF_DEMO": "1", "WF_HOST": "192.168.1.20"}, False),
        ({"WF_DEMO": "1", "WF_HOST": "example.org"}, False),
        ({"WF_DEMO": "1", "WF_HOST": EVERY_ADDRESS, "SECRET_KEY": "k" * 64}, True),  # a real key
        ({"WF_HOST": EVERY_ADDRESS, "SECRET_KEY": "k" * 64}, True),
    ],
)
def test_which_addresses_the_demo_key_may_bind(environment, allowed):
    settings = read_settings(environment)
    if allowed:
        check_bind_address(settings)
    else:
        with pytest.raises(SettingsError, match="WF_HOST"):
            check_bind_address(settings)
