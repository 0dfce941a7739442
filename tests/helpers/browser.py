"""Signing in through the pages, as a browser would: the CSRF token from a form, then the form post."""

from __future__ import annotations

import re


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client, username: str = "secretary", password: str = "demo"):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


def post_start(client, page: str, process_key: str, organization_id: int, business_key: str | None = None):  # type: ignore[no-untyped-def]
    """Submit the /start form read from `page`, as a browser would."""
    form = {"csrf_token": csrf_token(page), "process_key": process_key, "organization_id": str(organization_id)}
    if business_key is not None:
        form["business_key"] = business_key
    return client.post("/start", data=form)
