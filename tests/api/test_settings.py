"""Settings are read in one place (api/settings.py), from a mapping like the environment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from api.settings import DEFAULT_INSTANCE_DIR, SettingsError, audit_anchor, read_settings, resolve_config
from engine.scripting.evaluator_pool import MIB, EvaluatorLimits
from engine.timers.jobs import QUEUE_NAME


def test_defaults_for_an_empty_environment():
    settings = read_settings({})

    assert settings.database_url == f"sqlite:///{DEFAULT_INSTANCE_DIR / 'workflow.db'}"
    assert settings.redis_url is None
    assert settings.secret_key is None
    assert settings.demo is False
    assert settings.port == 5000
    assert settings.rq_queue == QUEUE_NAME
    assert settings.instance_dir == DEFAULT_INSTANCE_DIR


def test_each_variable_and_empty_ones_count_as_unset():
    settings = read_settings(
        {
            "DATABASE_URL": "postgresql://wf@db/wf",
            "REDIS_URL": "redis://r:6379/0",
            "SECRET_KEY": "s3cret",
            "WF_DEMO": "Yes",
            "PORT": "8080",
            "WF_QUEUE": "other",
            "WF_INSTANCE_DIR": "/srv/wf",
        }
    )
    empty = read_settings({"DATABASE_URL": "", "REDIS_URL": "", "PORT": "", "WF_QUEUE": "", "WF_DEMO": ""})

    assert (settings.database_url, settings.redis_url, settings.secret_key) == ("postgresql://wf@db/wf", "redis://r:6379/0", "s3cret")
    assert (settings.demo, settings.port, settings.rq_queue, settings.instance_dir) == (True, 8080, "other", Path("/srv/wf"))
    assert empty == read_settings({})


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1"])
def test_a_port_that_is_no_port_is_refused(value: str):
    with pytest.raises(SettingsError, match="PORT"):
        read_settings({"PORT": value})


def test_the_launchers_instance_folder_holds_the_default_database(tmp_path: Path):
    settings = read_settings({"WF_INSTANCE_DIR": "/elsewhere"}, instance_dir=tmp_path)

    assert settings.instance_dir == tmp_path
    assert settings.database_url == f"sqlite:///{tmp_path / 'workflow.db'}"
    assert read_settings({"DATABASE_URL": "sqlite:///x.db"}, instance_dir=tmp_path).database_url == "sqlite:///x.db"


def test_the_flask_configuration_is_built_from_the_settings(tmp_path: Path):
    config = resolve_config(settings=read_settings({"WF_DEMO": "1", "WF_QUEUE": "q"}, instance_dir=tmp_path))

    assert config["WF_DEMO"] is True
    assert config["RQ_QUEUE"] == "q"
    assert config["SESSION_COOKIE_SECURE"] is False  # demo mode serves plain http
    assert config["SECRET_KEY"] == (tmp_path / "demo_secret_key").read_text()  # the demo key, kept in the instance folder
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        resolve_config(settings=read_settings({}))
    assert resolve_config({"TESTING": True}, settings=read_settings({}))["SESSION_COOKIE_SECURE"] is True


def test_the_production_variables_are_read_and_bad_hop_counts_refused():
    every_address = "0.0.0.0"  # noqa: S104  (only read here)
    settings = read_settings({"WF_HOST": every_address, "WF_HTTPS": "1", "WF_PROXY_HOPS": "2"})

    assert (settings.host, settings.https, settings.proxy_hops) == (every_address, True, 2)
    assert (read_settings({}).host, read_settings({}).https, read_settings({}).proxy_hops) == ("127.0.0.1", False, 0)
    for value in ("-1", "x", "11"):
        with pytest.raises(SettingsError, match="WF_PROXY_HOPS"):
            read_settings({"WF_PROXY_HOPS": value})


def test_https_keeps_cookies_secure_even_in_demo_mode(tmp_path: Path):
    config = resolve_config(settings=read_settings({"WF_DEMO": "1", "WF_HTTPS": "1"}, instance_dir=tmp_path))

    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["WF_HTTPS"] is True


def test_the_sandbox_evaluators_are_set_by_count_and_memory():
    assert read_settings({}).evaluator_limits() == EvaluatorLimits(workers=2, memory_bytes=512 * MIB)
    limits = read_settings({"WF_EVALUATORS": "4", "WF_EVALUATOR_MEMORY_MB": "256"}).evaluator_limits()
    assert (limits.workers, limits.memory_bytes) == (4, 256 * MIB)
    assert resolve_config({"TESTING": True}, read_settings({"WF_EVALUATORS": "3"}))["EVALUATOR_LIMITS"].workers == 3


@pytest.mark.parametrize(("name", "value"), [("WF_EVALUATORS", "0"), ("WF_EVALUATORS", "two"), ("WF_EVALUATOR_MEMORY_MB", "64")])
def test_evaluator_settings_that_cannot_work_are_refused(name: str, value: str):
    with pytest.raises(SettingsError, match=name):
        read_settings({name: value})


def test_the_audit_key_is_required_outside_demo_mode(tmp_path: Path):
    with pytest.raises(SettingsError, match=r"非演示模式必须设置 AUDIT_KEY.*AUDIT_KEY must be set outside demo mode"):
        audit_anchor(read_settings({}, instance_dir=tmp_path))
    with pytest.raises(SettingsError, match="至少 32"):
        audit_anchor(read_settings({"AUDIT_KEY": "short"}, instance_dir=tmp_path))
    key = "k" * 40
    settings = read_settings({"AUDIT_KEY": key, "AUDIT_CHECKPOINT_PATH": str(tmp_path / "cp.jsonl")}, instance_dir=tmp_path)
    anchor = audit_anchor(settings)
    assert (anchor.key, anchor.checkpoint_path) == (key.encode(), tmp_path / "cp.jsonl")
    assert key not in repr(settings) and key not in repr(anchor)


def test_demo_mode_keeps_one_random_audit_key_readable_by_its_owner_only(tmp_path: Path):
    first = audit_anchor(read_settings({"WF_DEMO": "1"}, instance_dir=tmp_path))
    again = audit_anchor(read_settings({"WF_DEMO": "1"}, instance_dir=tmp_path))

    assert first.key == again.key and len(first.key) == 64
    assert stat.S_IMODE((tmp_path / "audit.key").stat().st_mode) == 0o600
    assert first.checkpoint_path == tmp_path / "audit-checkpoints.jsonl"
    assert [path.name for path in tmp_path.iterdir()] == ["audit.key"]  # no draft left behind
