"""Browser fixtures: the application served on a free local port, and Debian's Chromium driven by
Playwright. A missing browser fails these tests (make test installs it); it never skips them."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from engine.models import Disclosure, DisclosureScope, DisclosureStatus, UserTask
from tests.helpers.paths import FIXTURES

CHROMIUM = Path("/usr/bin/chromium")
DISCLOSURE_REVIEW = (FIXTURES.parents[2] / "processes" / "disclosure_review" / "disclosure_review.bpmn").read_bytes()


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 1400})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def plan_task(client, login, demo, session) -> UserTask:  # type: ignore[no-untyped-def]
    """A disclosure review started by the drafter of 第一党支部, waiting at its plan."""
    deployed = client.post(
        "/api/v1/process-definitions",
        headers=login("owner"),
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(DISCLOSURE_REVIEW), "disclosure_review.bpmn")},
    )
    assert deployed.status_code == 201, deployed.json
    started = client.post(
        "/api/v1/process-instances", headers=login("drafter"), json={"process_key": "disclosure_review", "organization_id": demo.branch1.id}
    )
    assert started.status_code == 201, started.json
    return session.get(UserTask, started.json["open_tasks"][0]["id"])


@pytest.fixture
def published(client, login, session, clock, demo, plan_task: UserTask) -> dict[DisclosureScope, Disclosure]:  # type: ignore[no-untyped-def]
    """Two records as the publish step of two reviews leaves them: one to society, one within the
    unit. (The review that publishes is played end to end in tests/processes.)"""
    another = client.post(
        "/api/v1/process-instances", headers=login("drafter"), json={"process_key": "disclosure_review", "organization_id": demo.branch1.id}
    )
    assert another.status_code == 201, another.json
    records = {
        scope: Disclosure(
            instance_id=instance_id,
            organization_id=demo.branch1.id,
            title=title,
            content=f"{title}：正文。",
            scope=scope,
            methods=["bulletin_board"],
            feedback_days=5,
            status=DisclosureStatus.PUBLISHED,
            published_at=clock.now(),
        )
        for scope, title, instance_id in (
            (DisclosureScope.SOCIETY, "2026年党费收缴情况", plan_task.instance_id),
            (DisclosureScope.LOCAL, "支部委员会换届选举安排", another.json["id"]),
        )
    }
    session.add_all(records.values())
    session.commit()
    return records
