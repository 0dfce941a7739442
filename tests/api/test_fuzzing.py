"""Property-based requests generated from our own OpenAPI document (schemathesis): whatever a
client sends, the answer is never a 500 and always the one error shape."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
EXAMPLES_PER_OPERATION = 40


def operations(app):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_no_request_makes_the_server_fail(app, login, demo):  # type: ignore[no-untyped-def]
    headers = login("admin")
    checked = []
    for operation in operations(app):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def answers_cleanly(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers={**(case.headers or {}), **headers})
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
            if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
                assert {"code", "status", "message"} <= set(response.json()), response.text[:300]

        answers_cleanly()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 20, checked
