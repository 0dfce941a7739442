"""What `make run` does: check the configuration, prepare the database, start Redis (unless
REDIS_URL is set), the RQ worker with its scheduler and the web server, report when /healthz is
green, and stop all of them on Ctrl-C / SIGTERM or as soon as one of them dies."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from api.launcher import LauncherError, say
from api.launcher.prepare import demo_accounts, prepare_database, redacted_database_url
from api.launcher.processes import Child, become_subreaper, spawn, stop, sweep
from api.launcher.redis_server import answers, start_embedded_redis, wait_until_answering
from api.settings import (
    DEFAULT_INSTANCE_DIR,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    check_bind_address,
    read_settings,
    resolve_config,
)

STOP_GRACE_SECONDS = 10.0  # web server and worker, stopped together
REDIS_GRACE_SECONDS = 5.0  # Redis last, once nothing uses it
SLOW_START_SECONDS = 90.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StopRequest:
    """Ctrl-C, SIGTERM and SIGHUP only set a flag; the main loop does the stopping. A second one
    makes the stop immediate (SIGKILL instead of waiting)."""

    def __init__(self) -> None:
        self.count = 0
        self.signal_name = ""

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.count += 1
        self.signal_name = signal.Signals(signum).name

    @property
    def requested(self) -> bool:
        return self.count > 0

    def urgent(self) -> bool:
        return self.count > 1


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    stop_request = StopRequest()
    stop_request.install()
    try:
        settings = _settings(_arguments(argv))
    except LauncherError as error:
        say(f"错误 (error): {error}")
        return 2
    try:
        say(f"数据库 (database): {redacted_database_url(settings.database_url)}")
        prepare_database(settings)
    except LauncherError as error:
        say(f"错误 (error): {error}")
        return 1
    if stop_request.requested:
        return 0
    become_subreaper()
    return _supervise(settings, stop_request, started)


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m api.launcher", description=__doc__)
    parser.add_argument(
        "--instance-dir",
        type=Path,
        default=DEFAULT_INSTANCE_DIR,
        help="SQLite database (unless DATABASE_URL is set) and embedded Redis data; default instance/",
    )
    return parser.parse_args(argv)


def _settings(arguments: argparse.Namespace) -> Settings:
    """The settings of every process the launcher starts: the environment's, with the instance
    folder of --instance-dir (and the SQLite database in it unless DATABASE_URL is set)."""
    instance_dir = arguments.instance_dir.resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    try:
        settings = read_settings(instance_dir=instance_dir)
        check_bind_address(settings)
    except SettingsError as error:
        raise LauncherError(str(error)) from error
    try:
        resolve_config(settings=settings)  # what create_app will check in the web server
    except SettingsError as error:  # e.g. no AUDIT_KEY outside demo mode
        raise LauncherError(str(error)) from error
    except RuntimeError as error:
        raise LauncherError(
            "非演示模式必须设置 SECRET_KEY 环境变量，例如 SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')；"
            "或者用 WF_DEMO=1 运行演示 (SECRET_KEY must be set outside demo mode; or run the demo with WF_DEMO=1)"
        ) from error
    _check_port_free(settings.host, settings.port)
    return settings


def _check_port_free(host: str, port: int) -> None:
    bare = host.strip("[]")
    with socket.socket(socket.AF_INET6 if ":" in bare else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((bare, port))
        except OSError as error:
            raise LauncherError(
                f"无法绑定 {_address(host, port)}（已被占用或不是本机地址），请用 PORT=... 或 WF_HOST=... 换一个"
                f" (cannot bind {_address(host, port)}: in use or not this machine's; choose another with PORT=... or WF_HOST=...)"
            ) from error


def _address(host: str, port: int) -> str:
    bare = host.strip("[]")
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


def _site(settings: Settings) -> str:
    """Where the launcher itself reaches the web server: a wildcard bind answers on loopback."""
    bare = settings.host.strip("[]")
    reachable = {"0.0.0.0": "127.0.0.1", "::": "::1", "localhost": "127.0.0.1"}.get(bare, bare)  # noqa: S104
    return f"http://{_address(reachable, settings.port)}"


def _supervise(settings: Settings, stop_request: StopRequest, started: float) -> int:
    # The children read their settings from the environment as the launcher resolved them.
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": settings.database_url,
        "WF_INSTANCE_DIR": str(settings.instance_dir),
    }
    redis_child: Child | None = None
    services: list[Child] = []
    exit_code = 0
    try:
        redis_url = settings.redis_url
        if redis_url is None:
            redis_child, redis_url = start_embedded_redis(settings.instance_dir, env)
            wait_until_answering(redis_child, redis_url, timeout=20, stopping=lambda: stop_request.requested)
            say(f"嵌入式 Redis 已启动 (embedded Redis started): {redis_url}")
        elif not answers(redis_url):
            raise LauncherError(f"无法连接 REDIS_URL={_redacted(redis_url)} (cannot reach REDIS_URL)")
        env["REDIS_URL"] = redis_url
        if not stop_request.requested:
            services = _start_services(settings, env)
            exit_code = _watch(services + ([redis_child] if redis_child else []), settings, stop_request, started)
    except LauncherError as error:
        say(f"错误 (error): {error}")
        exit_code = 1
    finally:
        _stop_everything(services, redis_child, stop_request)
    return exit_code


def _start_services(settings: Settings, env: dict[str, str]) -> list[Child]:
    worker = spawn(
        "RQ 工作进程",
        "RQ worker",
        [
            sys.executable,
            "-m",
            "rq.cli",
            "worker",
            "--with-scheduler",
            "--worker-class",
            "api.worker.TimerWorker",
            "--url",
            env["REDIS_URL"],
            "--path",
            str(PROJECT_ROOT),
            settings.rq_queue,
        ],
        env=env,
        cwd=PROJECT_ROOT,
    )
    web = spawn(
        "Web 服务器",
        "web server",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            _address(settings.host, settings.port),
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--chdir",
            str(PROJECT_ROOT),
            "api.app:create_app()",
        ],
        env=env,
        cwd=PROJECT_ROOT,
    )
    delivery = spawn("定时器投递", "timer delivery", [sys.executable, "-m", "api.timer_daemon"], env=env, cwd=PROJECT_ROOT)
    return [web, worker, delivery]


def _watch(children: list[Child], settings: Settings, stop_request: StopRequest, started: float) -> int:
    ready = warned = False
    next_probe = 0.0
    while not stop_request.requested:
        for child in children:
            code = child.process.poll()
            if code is not None:
                zh, en = _exit_text(code)
                say(f"✗ {child.zh}意外退出，{zh}；正在停止其他进程 (the {child.en} exited unexpectedly with {en}; stopping the others)")
                return 1
        now = time.monotonic()
        if not ready and now >= next_probe:
            ready, body = _health(_site(settings))
            next_probe = time.monotonic() + 0.5
            if ready:
                _banner(settings, body, time.monotonic() - started)
            elif not warned and now - started > SLOW_START_SECONDS:
                warned = True
                say(f"/healthz 仍未就绪 (still not ready): {body}")
        time.sleep(0.1)
    say(f"收到 {stop_request.signal_name}，正在停止全部进程 (received {stop_request.signal_name}; stopping everything)…")
    return 0


def _health(site: str) -> tuple[bool, str]:
    try:
        with _NO_PROXY.open(f"{site}/healthz", timeout=2) as response:
            return response.status == 200, response.read().decode()
    except urllib.error.HTTPError as error:
        return False, error.read().decode(errors="replace")
    except (OSError, ValueError) as error:
        return False, str(error)


def _banner(settings: Settings, body: str, elapsed: float) -> None:
    line = "=" * 72
    lines = [
        line,
        f"就绪 (ready): {_site(settings)}   用时 (took) {elapsed:.1f} s",
        f"健康检查 (health): {json.dumps(json.loads(body), ensure_ascii=False)}",
    ]
    if settings.demo:
        lines.append(demo_accounts())
    lines += ["按 Ctrl-C 停止全部进程 (press Ctrl-C to stop everything)", line]
    print("\n".join(lines), flush=True)


def _stop_everything(services: list[Child], redis_child: Child | None, stop_request: StopRequest) -> None:
    stop(services, grace=STOP_GRACE_SECONDS, hurry=stop_request.urgent)
    if redis_child is not None:
        stop([redis_child], grace=REDIS_GRACE_SECONDS, hurry=stop_request.urgent)
    left = sweep()
    if left:
        say(f"已强制结束遗留进程 (killed leftover processes): {left}")
    say("已全部停止 (everything stopped)")


def _exit_text(code: int) -> tuple[str, str]:
    if code < 0:
        name = signal.Signals(-code).name
        return f"信号 {name}", f"signal {name}"
    return f"退出码 {code}", f"exit code {code}"


def _redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
