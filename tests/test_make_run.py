"""`make run`'s launcher end to end (`python -m api.launcher`, as the Makefile runs it, minus the
install step): it becomes healthy, serves the demo accounts, and Ctrl-C stops every process it
started. Once with an embedded Redis and SQLite; once with the configured services (PostgreSQL
in a database of its own when TEST_DATABASE_URL names one, REDIS_URL when set)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEALTHY_WITHIN = 60.0
EXIT_WITHIN = 20.0
LAUNCHER_DATABASE = "wf_launcher_test"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Launched:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def test_embedded_redis_and_sqlite(tmp_path: Path) -> None:
    env = _environment(database_url=f"sqlite:///{tmp_path / 'launcher.db'}", redis_url=None)
    with _launched(tmp_path, env) as launched:
        _check_serves_and_stops(launched)
    assert (tmp_path / "instance" / "redis" / "appendonly.aof").exists(), "Redis keeps an append-only file"


def test_configured_services(tmp_path: Path) -> None:
    configured = os.environ.get("TEST_DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL") or None
    if configured.startswith("postgres"):
        with _separate_postgres_database(configured) as database_url:
            with _launched(tmp_path, _environment(database_url=database_url, redis_url=redis_url)) as launched:
                _check_serves_and_stops(launched)
            assert f"/{LAUNCHER_DATABASE}" in launched.output(), "the launcher ran on its own database"
    else:
        env = _environment(database_url=f"sqlite:///{tmp_path / 'launcher.db'}", redis_url=redis_url)
        with _launched(tmp_path, env) as launched:
            _check_serves_and_stops(launched)
    if redis_url:
        assert not (tmp_path / "instance" / "redis").exists(), "REDIS_URL set: no embedded Redis"


def test_children_die_with_a_killed_launcher(tmp_path: Path) -> None:
    """SIGKILL leaves the launcher no chance to clean up: the kernel's parent-death signal does."""
    env = _environment(database_url=f"sqlite:///{tmp_path / 'launcher.db'}", redis_url=None)
    with _launched(tmp_path, env) as launched:
        _wait_until_healthy(launched)
        family = psutil.Process(launched.process.pid).children(recursive=True)
        launched.process.kill()
        launched.process.wait(timeout=5)
        _, alive = psutil.wait_procs(family, timeout=EXIT_WITHIN)
        alive = [p for p in alive if _is_alive(p)]
        assert not alive, f"left running after the launcher was killed: {_describe(alive)}\n{launched.output()}"


def _check_serves_and_stops(launched: Launched) -> None:
    _wait_until_healthy(launched)
    status, body = _request(launched.port, "/api/v1/auth/token", {"username": "drafter", "password": "demo"})
    assert status == 201, body
    assert json.loads(body)["token"]

    family = psutil.Process(launched.process.pid).children(recursive=True)
    assert len(family) >= 3, f"web server, worker and (embedded) Redis expected: {_describe(family)}"
    launched.process.send_signal(signal.SIGINT)
    try:
        code = launched.process.wait(timeout=EXIT_WITHIN)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"launcher still running {EXIT_WITHIN} s after SIGINT\n{launched.output()}") from None
    assert code == 0, launched.output()
    alive = [p for p in family if _is_alive(p)]
    assert not alive, f"left running after Ctrl-C: {_describe(alive)}\n{launched.output()}"
    assert "已全部停止 (everything stopped)" in launched.output()


def _wait_until_healthy(launched: Launched) -> None:
    started = time.monotonic()
    while time.monotonic() - started < HEALTHY_WITHIN:
        if launched.process.poll() is not None:
            raise AssertionError(f"launcher exited with {launched.process.returncode}\n{launched.output()}")
        status, _ = _request(launched.port, "/healthz")
        if status == 200:
            print(f"\n/healthz 200 after {time.monotonic() - started:.1f} s (from process start)")
            return
        time.sleep(0.2)
    raise AssertionError(f"/healthz not 200 within {HEALTHY_WITHIN} s\n{launched.output()}")


def _request(port: int, path: str, payload: dict[str, str] | None = None) -> tuple[int, str]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


@contextmanager
def _launched(tmp_path: Path, env: dict[str, str]) -> Iterator[Launched]:
    port = _free_port()
    log = tmp_path / "launcher.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.launcher", "--instance-dir", str(tmp_path / "instance")],
            cwd=PROJECT_ROOT,
            env={**env, "PORT": str(port)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    launched = Launched(process, port, log)
    try:
        yield launched
    finally:
        if process.poll() is None:  # a failed test: do not leave a server behind
            family = psutil.Process(process.pid).children(recursive=True)
            process.kill()
            for child in family:
                child.kill()
        process.wait()


def _environment(*, database_url: str, redis_url: str | None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in ("REDIS_URL", "SECRET_KEY")}
    env.update(DATABASE_URL=database_url, WF_DEMO="1", PYTHONUNBUFFERED="1")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def _separate_postgres_database(configured: str) -> Iterator[str]:
    """The shared test database is emptied by other tests; the launcher gets one of its own."""
    admin_url = make_url(configured).set(drivername="postgresql")
    statements = (f"DROP DATABASE IF EXISTS {LAUNCHER_DATABASE} WITH (FORCE)", f"CREATE DATABASE {LAUNCHER_DATABASE}")
    with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)
    try:
        yield admin_url.set(database=LAUNCHER_DATABASE).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {LAUNCHER_DATABASE} WITH (FORCE)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _is_alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(processes: list[psutil.Process]) -> str:
    described = []
    for process in processes:
        try:
            described.append(f"{process.pid} {' '.join(process.cmdline())[:80]}")
        except psutil.Error:
            described.append(str(process.pid))
    return "; ".join(described) or "none"
