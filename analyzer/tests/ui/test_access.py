"""Signing in to the UI, session cookies and CSRF-checked actions, over real HTTP requests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from analyzer.tests.ui.harness import ADMIN_TOKEN, READER_TOKEN, DemoStore
from gapwatch.analyzer.auth import Principal, Role, SessionCookies

CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def sign_in(client: TestClient, token: str) -> None:
    response = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def csrf_of(client: TestClient, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def test_session_cookie_round_trips_and_rejects_forgery_and_expiry() -> None:
    cookies = SessionCookies()
    value = cookies.issue(Principal(Role.READER, "reader-token:ab12"), now=1000.0)
    session = cookies.read(value, now=1001.0)
    assert session is not None and session.principal == Principal(Role.READER, "reader-token:ab12")
    assert cookies.read(value, now=1000.0 + SessionCookies.LIFETIME_S + 1) is None  # expired
    body, _, signature = value.partition(".")
    forged_role = body.replace(body[:8], body[:8].upper())
    assert cookies.read(f"{forged_role}.{signature}", now=1001.0) is None
    assert cookies.read(value[:-1] + ("0" if value[-1] != "0" else "1"), now=1001.0) is None
    assert SessionCookies().read(value, now=1001.0) is None  # another server's key
    assert cookies.read("", now=1001.0) is None and cookies.read("garbage", now=1001.0) is None
    # two sessions of the same principal get different CSRF tokens
    other = cookies.read(cookies.issue(session.principal, now=1000.0), now=1001.0)
    assert other is not None and other.csrf != session.csrf


def test_pages_send_a_visitor_without_session_to_sign_in(secured_ui: TestClient) -> None:
    response = secured_ui.get("/scorecards?window=24h", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fscorecards%3Fwindow%3D24h"
    login = secured_ui.get("/login")
    assert login.status_code == 200 and '<label for="token">' in login.text


def test_unknown_token_is_refused_and_sets_no_cookie(secured_ui: TestClient) -> None:
    response = secured_ui.post("/login", data={"token": "nope"}, follow_redirects=False)
    assert response.status_code == 401 and "set-cookie" not in response.headers
    assert "not a reader or admin token" in response.text
    assert secured_ui.get("/", follow_redirects=False).status_code == 303


def test_sign_in_returns_only_to_paths_on_this_server(secured_ui: TestClient) -> None:
    for target, expected in (("/scorecards", "/scorecards"), ("https://evil.example/", "/"),
                             ("//evil.example/", "/"), ("/\\evil.example/", "/")):
        response = secured_ui.post("/login", data={"token": READER_TOKEN, "next": target},
                                   follow_redirects=False)
        assert response.headers["location"] == expected, target


def test_reader_sees_pages_but_cannot_act(secured_ui: TestClient, demo: DemoStore) -> None:
    proposal = demo.proposal("cost_waste")
    sign_in(secured_ui, READER_TOKEN)
    page = secured_ui.get(f"/proposals/{proposal['id']}")
    assert page.status_code == 200 and "Only an admin can approve" in page.text
    assert 'name="action"' not in page.text
    csrf = csrf_of(secured_ui, "/")  # the sign-out form carries the session's token
    refused = secured_ui.post(f"/proposals/{proposal['id']}/act",
                              data={"action": "approve", "csrf": csrf, "reason": "x"})
    assert refused.status_code == 403 and "needs an admin token" in refused.text
    history = demo.store.select("gapwatch.analyzer.proposals", "select_history",
                                {"proposal_id": proposal["id"]})
    assert [h["to_status"] for h in history] == ["open"]


def test_admin_action_needs_the_session_csrf_token(secured_ui: TestClient,
                                                  demo: DemoStore) -> None:
    proposal = demo.proposal("unused_tool")
    path = f"/proposals/{proposal['id']}"
    sign_in(secured_ui, ADMIN_TOKEN)
    for token in ("", "0" * 64):
        refused = secured_ui.post(f"{path}/act", data={"action": "snooze", "csrf": token})
        assert refused.status_code == 403 and "security token" in refused.text
    csrf = csrf_of(secured_ui, path)
    done = secured_ui.post(f"{path}/act", follow_redirects=False, data={
        "action": "snooze", "csrf": csrf, "reason": "after the release", "actor": "Ana"})
    assert done.status_code == 303 and done.headers["location"] == f"{path}?message=snooze+recorded"
    page = secured_ui.get(path).text
    assert 'id="status">snoozed<' in page
    assert "Ana (admin-token:" in page and "“after the release”" in page


def test_disallowed_transition_is_shown_not_raised(secured_ui: TestClient,
                                                   demo: DemoStore) -> None:
    proposal = demo.proposal("repeated_request")
    path = f"/proposals/{proposal['id']}"
    sign_in(secured_ui, ADMIN_TOKEN)
    response = secured_ui.post(f"{path}/act", data={
        "action": "implemented", "csrf": csrf_of(secured_ui, path)})
    assert response.status_code == 200 and 'role="status"' in response.text
    assert 'id="status">open<' in response.text


def test_sign_out_needs_csrf_and_ends_the_session(secured_ui: TestClient) -> None:
    sign_in(secured_ui, READER_TOKEN)
    assert secured_ui.post("/logout", data={"csrf": "bad"}).status_code == 403
    out = secured_ui.post("/logout", data={"csrf": csrf_of(secured_ui, "/")},
                          follow_redirects=False)
    assert out.status_code == 303 and 'gapwatch_session=""' in out.headers["set-cookie"]
    assert secured_ui.get("/", follow_redirects=False).status_code == 303


def test_open_mode_needs_no_sign_in_but_still_checks_csrf(open_ui: TestClient,
                                                          demo: DemoStore) -> None:
    first = open_ui.get("/")
    assert first.status_code == 200 and "open: no tokens set" in first.text
    login = open_ui.get("/login?next=/scorecards", follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/scorecards"
    assert "gapwatch_session=" in first.headers["set-cookie"]
    proposal = demo.proposal("negative_feedback")
    path = f"/proposals/{proposal['id']}/act"
    # a form posted from another site carries no token of this session
    assert open_ui.post(path, data={"action": "approve"}).status_code == 403
    csrf = csrf_of(open_ui, f"/proposals/{proposal['id']}")
    fresh = TestClient(open_ui.app)
    # another browser's token is worthless here
    assert fresh.post(path, data={"action": "approve", "csrf": csrf}).status_code == 403
    done = open_ui.post(path, data={"action": "approve", "csrf": csrf, "reason": "ok"})
    assert done.status_code == 200 and 'id="status">approved<' in done.text
    assert "anonymous@" in done.text


def test_api_still_wants_bearer_tokens_with_a_ui_session(secured_ui: TestClient) -> None:
    sign_in(secured_ui, ADMIN_TOKEN)
    # the cookie is the UI's: API calls (and so API mutations) still need a bearer token
    assert secured_ui.get("/api/v1/proposals").status_code == 401
    assert secured_ui.get("/api/v1/proposals", headers={
        "Authorization": f"Bearer {READER_TOKEN}"}).status_code == 200
