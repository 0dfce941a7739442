"""Settings: the one module that reads the environment, for the web app, the RQ worker, the timer
delivery daemon and the `make run` launcher alike; and the Flask configuration `create_app` builds
from them (defaults, then the settings, then what the caller, a test, passes).

- `DATABASE_URL`: the database (app, worker, daemon, launcher); default SQLite at instance/workflow.db
- `REDIS_URL`: Redis (app, daemon, launcher); none by default: the app reports it missing on
  /healthz, the launcher starts an embedded one
- `SECRET_KEY`: the app's session key; required outside demo mode, where a random key is made once
  and kept in the instance folder (`demo_secret_key`)
- `WF_DEMO`: demo mode (app, launcher) when 1, true, yes or on
- `WF_HOST`: the address the web server binds (launcher); default 127.0.0.1; any other than a
  loopback address is refused while the key is the demo key
- `PORT`: the web server's port (launcher); default 5000
- `WF_HTTPS`: the site is served over https (app): `Secure` cookies and an HSTS header, demo included
- `WF_PROXY_HOPS`: how many reverse proxies stand in front (app); their X-Forwarded-For and
  X-Forwarded-Proto are believed only then; default 0
- `WF_QUEUE`: the RQ queue of the timer jobs (app, daemon, launcher); default the engine's QUEUE_NAME
- `WF_INSTANCE_DIR`: where the daemon keeps its delivery lock and demo mode its key; default
  instance/ in the project
- `WF_EVALUATORS`: how many sandbox evaluator processes run scripts and expressions (app, worker,
  daemon); default 2
- `WF_EVALUATOR_MEMORY_MB`: each evaluator's address-space limit in MiB; default 512
- `AUDIT_KEY`: the audit chain's key (at least 32 characters), held outside the database; required
  outside demo mode, where a random one is kept in the instance folder (audit.key, mode 0600)
- `AUDIT_CHECKPOINT_PATH`: the file of signed audit checkpoints; default instance/audit-checkpoints.jsonl

An empty variable counts as unset. No other module reads configuration from the environment; the
launcher hands its children the environment with the settings it resolved written back.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.audit_checkpoints import AuditAnchor
from engine.scripting.evaluator_pool import MIB, EvaluatorLimits
from engine.timers.jobs import QUEUE_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INSTANCE_DIR = PROJECT_ROOT / "instance"
DEFAULT_PORT = 5000
DEFAULT_HOST = "127.0.0.1"
DEMO_KEY_FILE = "demo_secret_key"
DEFAULT_LIMITS = EvaluatorLimits()
MIN_EVALUATOR_MEMORY_MB = 128  # an evaluator's interpreter alone takes about 30 MiB
_TRUE = {"1", "true", "yes", "on"}


class SettingsError(ValueError):
    """A variable holds a value that cannot be used; the message names it, Chinese first."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None  # None: no Redis configured (the app reports it missing on /healthz)
    secret_key: str | None
    demo: bool
    port: int
    rq_queue: str
    instance_dir: Path
    host: str = DEFAULT_HOST
    https: bool = False
    proxy_hops: int = 0
    evaluators: int = DEFAULT_LIMITS.workers
    evaluator_memory_mb: int = DEFAULT_LIMITS.memory_bytes // MIB

    def evaluator_limits(self) -> EvaluatorLimits:
        return EvaluatorLimits(workers=self.evaluators, memory_bytes=self.evaluator_memory_mb * MIB)

    audit_key: str | None = field(default=None, repr=False)
    audit_checkpoint_path: Path | None = None  # None: in the instance folder


def read_settings(environ: Mapping[str, str] = os.environ, *, instance_dir: Path | None = None) -> Settings:
    """`instance_dir` is the launcher's --instance-dir: it replaces WF_INSTANCE_DIR, and the default
    SQLite database lies in it."""

    def value(name: str) -> str | None:
        return environ.get(name) or None

    database_folder = instance_dir or DEFAULT_INSTANCE_DIR
    return Settings(
        database_url=value("DATABASE_URL") or f"sqlite:///{database_folder / 'workflow.db'}",
        redis_url=value("REDIS_URL"),
        secret_key=value("SECRET_KEY"),
        demo=(value("WF_DEMO") or "").lower() in _TRUE,
        port=_port(value("PORT") or str(DEFAULT_PORT)),
        rq_queue=value("WF_QUEUE") or QUEUE_NAME,
        instance_dir=instance_dir or Path(value("WF_INSTANCE_DIR") or DEFAULT_INSTANCE_DIR),
        host=value("WF_HOST") or DEFAULT_HOST,
        https=(value("WF_HTTPS") or "").lower() in _TRUE,
        proxy_hops=_proxy_hops(value("WF_PROXY_HOPS") or "0"),
        evaluators=_whole_number("WF_EVALUATORS", value("WF_EVALUATORS"), DEFAULT_LIMITS.workers, 1),
        evaluator_memory_mb=_whole_number(
            "WF_EVALUATOR_MEMORY_MB", value("WF_EVALUATOR_MEMORY_MB"), DEFAULT_LIMITS.memory_bytes // MIB, MIN_EVALUATOR_MEMORY_MB
        ),
        audit_key=value("AUDIT_KEY"),
        audit_checkpoint_path=Path(checkpoints) if (checkpoints := value("AUDIT_CHECKPOINT_PATH")) else None,
    )


def _whole_number(name: str, text: str | None, default: int, minimum: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < minimum:
        raise SettingsError(f"{name}={text!r} 应为不小于 {minimum} 的整数 (must be a whole number of at least {minimum})")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SettingsError(f"PORT={text!r} 不是有效端口 (is not a valid port)")
    return int(text)


def _proxy_hops(text: str) -> int:
    if not text.isdigit() or int(text) > 10:
        raise SettingsError(f"WF_PROXY_HOPS={text!r} 应为 0 到 10 的整数 (must be a whole number from 0 to 10)")
    return int(text)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name could resolve anywhere


def check_bind_address(settings: Settings) -> None:
    """Refuse to serve beyond this machine while the session key is the demo key: the demo key and
    the demo accounts are there to be tried out locally, not to guard a reachable site."""
    if settings.demo and not settings.secret_key and not is_loopback(settings.host):
        raise SettingsError(
            f"WF_HOST={settings.host!r}：演示模式使用演示密钥，只能绑定本机地址 (127.0.0.1、::1、localhost)；"
            "对外提供服务请设置 SECRET_KEY 并关闭 WF_DEMO "
            f"(WF_HOST={settings.host!r}: with the demo key the server binds only a loopback address; "
            "to serve others set SECRET_KEY and turn WF_DEMO off)"
        )


def demo_secret_key(instance_dir: Path) -> str:
    """The demo key: random, made on first use and kept in the instance folder, readable by its
    owner only (0600), so sessions survive a restart and nobody can forge one from the source."""
    return kept_random_key(instance_dir / DEMO_KEY_FILE)


def kept_random_key(path: Path) -> str:
    """A random key made once and kept in `path`, readable by its owner only (0600); when several
    processes start at once, the first one's key is everyone's."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as draft_file:
        draft_file.write(secrets.token_hex(32))
    try:
        os.link(draft, path)  # whole or not at all: fails if another process was first
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="ascii").strip()


DEMO_AUDIT_KEY_FILE = "audit.key"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
MIN_AUDIT_KEY_LENGTH = 32


def audit_anchor(settings: Settings) -> AuditAnchor:
    """The audit key and checkpoint file: AUDIT_KEY, or in demo mode a random key generated once in
    the instance folder. Neither is ever written to the database."""
    checkpoints = settings.audit_checkpoint_path or settings.instance_dir / CHECKPOINT_FILE
    if settings.audit_key:
        if len(settings.audit_key) < MIN_AUDIT_KEY_LENGTH:
            length = MIN_AUDIT_KEY_LENGTH
            raise SettingsError(f"AUDIT_KEY 至少 {length} 个字符 (AUDIT_KEY needs at least {length} characters)")
        return AuditAnchor(key=settings.audit_key.encode("utf-8"), checkpoint_path=checkpoints)
    if not settings.demo:
        raise SettingsError(
            "非演示模式必须设置 AUDIT_KEY 环境变量（审计链密钥，勿存入数据库），例如 "
            "AUDIT_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))') "
            "(AUDIT_KEY must be set outside demo mode: the audit chain's key, kept outside the database)"
        )
    return AuditAnchor(key=_demo_audit_key(settings.instance_dir / DEMO_AUDIT_KEY_FILE), checkpoint_path=checkpoints)


def _demo_audit_key(path: Path) -> bytes:
    """Created once; every process of the demo reads the same key."""
    return kept_random_key(path).encode("ascii")


FLASK_DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "TOKEN_LIFETIME_HOURS": 12,
    "API_TITLE": "党组织工作流引擎 API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_AS_ASCII": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,  # relaxed only in demo mode without WF_HTTPS (plain http on 127.0.0.1)
    # A browser session ends 12 hours after sign-in, or after 2 hours without a request
    # (web/browser_session.py checks both; the first also bounds the cookie's signature).
    "PERMANENT_SESSION_LIFETIME": 12 * 60 * 60,
    "SESSION_IDLE_SECONDS": 2 * 60 * 60,
    "DEBUG": False,
    "WEB_PAGES": True,
    "WTF_CSRF_TIME_LIMIT": 3600,
}


def resolve_config(overrides: Mapping[str, Any] | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """The Flask configuration of `create_app`: the defaults, the settings (read from the environment
    unless given), then the overrides. Without a SECRET_KEY: demo mode uses its kept random key
    (`demo_secret_key`), a test app a fresh random one, anything else raises RuntimeError; then
    SettingsError without an audit key (AUDIT_ANCHOR: from AUDIT_KEY, or the demo's own)."""
    settings = settings or read_settings()
    config = {
        **FLASK_DEFAULTS,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": settings.secret_key,
        "WF_DEMO": settings.demo,
        "WF_HTTPS": settings.https,
        "WF_PROXY_HOPS": settings.proxy_hops,
        "WF_INSTANCE_DIR": settings.instance_dir,
        "RQ_QUEUE": settings.rq_queue,
        "EVALUATOR_LIMITS": settings.evaluator_limits(),
    }
    if settings.demo and not settings.https:
        config["SESSION_COOKIE_SECURE"] = False
    config.update(overrides or {})
    if not config["SECRET_KEY"]:
        if config.get("TESTING"):
            config["SECRET_KEY"] = secrets.token_hex(32)
        elif config["WF_DEMO"]:
            config["SECRET_KEY"] = demo_secret_key(Path(config["WF_INSTANCE_DIR"]))
        else:
            raise RuntimeError("SECRET_KEY must be set outside demo mode (设置 SECRET_KEY 环境变量)")
    if config.get("AUDIT_ANCHOR") is None and not config.get("TESTING"):
        # As the caller's overrides leave demo mode and the instance folder; a test hands its own anchor.
        effective = replace(settings, demo=bool(config["WF_DEMO"]), instance_dir=Path(config["WF_INSTANCE_DIR"]))
        config["AUDIT_ANCHOR"] = audit_anchor(effective)
    return config
