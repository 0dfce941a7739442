"""Browser sessions: sign in through a CSRF-protected form, see the inbox, sign out by POST."""

from __future__ import annotations

from tests.helpers.browser import csrf_token, sign_in


def test_sign_in_sets_a_safe_session_cookie_and_shows_the_inbox(client, demo):
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "支部书记 王芳" in home.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"username": "secretary", "password": "demo"})
    assert response.status_code == 400 and "过期" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_wrong_passwords_and_throttling_show_on_the_page(client, demo):
    response = sign_in(client, password="wrong")
    assert response.status_code == 400 and "用户名或密码错误" in response.get_data(as_text=True)
    for _ in range(4):
        sign_in(client, password="wrong")
    throttled = sign_in(client)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "2"
    assert "登录尝试过多，请 2 秒后再试" in throttled.get_data(as_text=True)


def test_sign_out_needs_the_token_and_ends_the_session(client, demo):
    sign_in(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_a_browser_gets_an_error_page_and_the_api_gets_json(client):
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html" and "返回首页" in page.get_data(as_text=True)
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json["code"] == "not_found"
