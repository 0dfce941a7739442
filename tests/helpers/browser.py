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
