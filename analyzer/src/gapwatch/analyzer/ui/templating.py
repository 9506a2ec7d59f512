"""The UI's Jinja2 environment: templates and filters shipped with the package.

    page = render(request, "inbox.html", proposals=rows)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

ENVIRONMENT = Environment(
    loader=PackageLoader("gapwatch.analyzer.ui", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page with the layout's shared values (who is signed in, the CSRF token)."""
    session = getattr(request.state, "ui_session", None)
    html = ENVIRONMENT.get_template(template).render(
        request=request, session=session, open_mode=request.app.state.token_roles.open,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def since(moment: datetime | str | None, now: datetime | None = None) -> str:
    """How long ago, in the largest whole unit: "3 h ago", "2 d ago"."""
    if moment is None or moment == "":
        return "—"
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}" if value >= 0.1 else f"{value:.1%}"


def milliseconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:,.2f} s" if value >= 1000 else f"{value:,.0f} ms"


def svg(markup: str) -> Markup:
    """Charts are built by our own code with every label escaped: safe to embed as is."""
    return Markup(markup)  # noqa: S704 - the chart functions escape every text they draw


def inline_code(text: str) -> Markup:
    """Titles mark names with Markdown backticks: show them as code, everything escaped."""
    parts = escape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as written
        return escape(text)
    return Markup("").join(Markup("<code>") + part + Markup("</code>") if index % 2 else part
                           for index, part in enumerate(parts))


ENVIRONMENT.filters.update(since=since, percent=percent, ms=milliseconds, svg=svg,
                           code=inline_code)
