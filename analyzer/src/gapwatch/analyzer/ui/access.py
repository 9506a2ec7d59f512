"""Who is using the UI: token sign-in that becomes a session cookie, and CSRF-checked actions.

    @router.get("/")
    def inbox(session: ReaderSession): ...

With tokens configured, pages need a session (sign in at ``/login`` with a reader or admin
token); with none (the embedded default on loopback) every visitor is an admin, as on the API,
but still gets a session cookie so that actions carry a CSRF token.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response

from gapwatch.analyzer.auth import (
    BrowserSession,
    Principal,
    Role,
    SessionCookies,
    TokenRoles,
    principal_for_token,
)
from gapwatch.analyzer.ui.templating import render

router = APIRouter(include_in_schema=False)


class LoginRequired(Exception):
    """No valid session: the browser is sent to the sign-in page."""


class ActionRefused(Exception):
    """A reader tried to act, or a form came without this session's CSRF token."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def browser_session(request: Request) -> BrowserSession:
    """The caller's session, from its cookie; in open mode one is made on first sight."""
    cookies: SessionCookies = request.app.state.ui_sessions
    session = cookies.read(request.cookies.get(SessionCookies.NAME))
    roles: TokenRoles = request.app.state.token_roles
    if session is None and roles.open:
        client = request.client.host if request.client else "unknown"
        value = cookies.issue(Principal(Role.ADMIN, f"anonymous@{client}"))
        session = cookies.read(value)
        request.state.new_session_cookie = value
    if session is None:
        raise LoginRequired
    request.state.ui_session = session
    return session


ReaderSession = Annotated[BrowserSession, Depends(browser_session)]


def check_action(session: BrowserSession, csrf: str) -> None:
    """Actions need an admin session and the session's own CSRF token in the form."""
    if session.principal.role is not Role.ADMIN:
        raise ActionRefused("this action needs an admin token: sign in with one")
    if not hmac.compare_digest(csrf.encode(), session.csrf.encode()):
        raise ActionRefused("the form's security token did not match: reload the page")


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002 - the URL's name
    if request.app.state.token_roles.open:  # nothing to sign in with: everyone is an admin
        return RedirectResponse(_local(next), status_code=303)
    return render(request, "login.html", next=_local(next), error="")


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=4096)],
          next: Annotated[str, Form(max_length=2000)] = "/") -> Response:  # noqa: A002
    """Trade a token for a session cookie (HttpOnly, SameSite=Strict)."""
    principal = principal_for_token(request.app.state.token_roles, token.strip())
    if principal is None:
        return render(request, "login.html", status=401, next=_local(next),
                      error="That token is not a reader or admin token of this server.")
    response = RedirectResponse(_local(next), status_code=303)
    set_session_cookie(request, response, request.app.state.ui_sessions.issue(principal))
    return response


@router.post("/logout")
def logout(session: ReaderSession, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    if not hmac.compare_digest(csrf.encode(), session.csrf.encode()):
        raise ActionRefused("the form's security token did not match: reload the page")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SessionCookies.NAME, path="/", httponly=True, samesite="strict")
    return response


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(
        SessionCookies.NAME, value, max_age=SessionCookies.LIFETIME_S, path="/", httponly=True,
        samesite="strict", secure=request.url.scheme == "https",
    )


def install_access(app: FastAPI) -> None:
    """Session cookies, the sign-in routes and the answers to refused requests."""
    app.state.ui_sessions = SessionCookies()
    app.include_router(router)

    async def to_login(request: Request, error: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    async def refused(request: Request, error: Exception) -> Response:
        message = error.message if isinstance(error, ActionRefused) else "refused"
        return render(request, "refused.html", status=403, message=message)

    app.add_exception_handler(LoginRequired, to_login)
    app.add_exception_handler(ActionRefused, refused)

    @app.middleware("http")
    async def issue_open_session(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        value = getattr(request.state, "new_session_cookie", None)
        if value:
            set_session_cookie(request, response, value)
        return response


def _local(target: str) -> str:
    """Only paths on this server: ``next=https://evil.example`` must not redirect away."""
    # browsers read "/\\host" like "//host": both would leave this server
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"
