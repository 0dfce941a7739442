"""No page answers 500: every page's GET, for every demo account and for a visitor, with ids that
exist, ids that do not, and text where an id belongs; and every page's form post, with a valid
token and nonsense in every field."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import sign_in

ACCOUNTS = [None, "admin", "owner", "auditor", "committee", "drafter", "secretary", "reviewer", "member1", "member4"]


def page_paths(app, plan_task, demo) -> list[str]:  # type: ignore[no-untyped-def]
    """Every GET route outside the API, its parameters filled with real and unreal values."""
    values = {
        "task_id": [plan_task.id, "00000000-0000-0000-0000-000000000000", "x" * 300],
        "instance_id": [str(plan_task.instance_id), "999999999"],
        "disclosure_id": ["1", "999999999"],
        "organization_id": [str(demo.branch1.id), str(demo.committee.id), "999999999"],
        "notification_id": ["999999999"],
        "key": ["disclosure_review", "no_such_process", "x" * 300],
        "filename": ["bpmn-modeler.production.min.js", "../../package.json", "nothing.js"],
        "command": ["cancel"],
    }
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.rule == "/healthz" or rule.endpoint == "static":
            continue  # the API has its own fuzzing; /healthz answers 503 by design while no worker runs
        names = re.findall(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", rule.rule)
        variants = [rule.rule]
        for name in names:
            pattern = re.compile(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>")
            variants = [pattern.sub(value, path) for path in variants for value in values[name]]
        paths.extend(variants)
    return paths


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a or "visitor" for a in ACCOUNTS])
def test_no_page_answers_500(app, client, demo, plan_task, account):
    if account:
        sign_in(client, account)
    failures = []
    for path in page_paths(app, plan_task, demo):
        response = client.get(path, headers={"Accept": "text/html"})
        response.close()  # a file sent from node_modules streams until closed
        if response.status_code >= 500:
            failures.append((path, response.status_code))
    assert failures == []


JUNK = {
    "content": "",
    "person_id": "abc",
    "organization_id": "-1",
    "process_key": "nope",
    "version": "x",
    "reason": "r" * 600,
    "title": "t" * 300,
    "grade-1": "best",
    "step_date": "2026-02-30",
    "publish_on": "yesterday",
}


@pytest.mark.parametrize("account", ACCOUNTS[1:], ids=ACCOUNTS[1:])
def test_no_form_post_answers_500(app, client, demo, plan_task, account):
    sign_in(client, account)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    failures = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/") or rule.rule in ("/login", "/logout"):
            continue
        for path in _filled(rule.rule, plan_task, demo):
            response = client.post(path, data={"csrf_token": token, **JUNK}, headers={"Accept": "text/html", "X-CSRFToken": token})
            if response.status_code >= 500:
                failures.append((path, response.status_code))
    assert failures == []


def _filled(rule: str, plan_task, demo) -> list[str]:  # type: ignore[no-untyped-def]
    values = {
        "task_id": plan_task.id,
        "instance_id": str(plan_task.instance_id),
        "disclosure_id": "1",
        "organization_id": str(demo.branch1.id),
        "notification_id": "1",
        "key": "disclosure_review",
    }
    path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], rule)
    if "<any(" in path:
        choices = re.search(r"<any\(([^)]*)\)", path).group(1).split(",")
        return [re.sub(r"<any\(([^)]*)\):[a-z_]+>", choice.strip(), path) for choice in choices]
    return [path]
