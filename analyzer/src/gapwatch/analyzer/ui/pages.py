"""The UI's pages: inbox, proposal, trace waterfall, scorecards, the live weekly review.

    GET  /                     inbox (filters: status, detector, agent, tool, service, q)
    GET  /proposals/{id}       evidence, chart, SQL, history, actions
    POST /proposals/{id}/act   approve | reject | snooze | implemented (admin, CSRF)
    GET  /traces/{trace_id}    waterfall
    GET  /scorecards           agents, tools, delegation heatmap
    GET  /review               the weekly review, always current

Every page reads through the services the API routes use; nothing here queries on its own
except the proposal chart's two statements (``evidence.py``).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote_plus

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gapwatch.analyzer.errors import (
    AnalyzerError,
    InvalidRequest,
    ProposalNotFound,
    TraceNotFound,
)
from gapwatch.analyzer.proposals.lifecycle import Action
from gapwatch.analyzer.proposals.repository import MAX_PAGE, ProposalFilter
from gapwatch.analyzer.proposals.serialize import proposal_to_dict
from gapwatch.analyzer.report import collect_report, render_html
from gapwatch.analyzer.report.charts import heatmap
from gapwatch.analyzer.routes import scorecards
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.report import trace_link_template
from gapwatch.analyzer.routes.schemas import WINDOW_PATTERN
from gapwatch.analyzer.routes.traces import MAX_SPANS, TRACE_ID_PATTERN, read_trace
from gapwatch.analyzer.ui.access import ReaderSession, check_action
from gapwatch.analyzer.ui.evidence import evidence_charts
from gapwatch.analyzer.ui.templating import render
from gapwatch.analyzer.ui.waterfall import waterfall

OPEN_STATUSES = "open,reopened"
STATUSES = ("open", "reopened", "approved", "snoozed", "implemented", "verified", "regressed",
            "rejected")
ACTIONS = {action.value: action for action in Action}

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
ServicesDep = Annotated[Services, Depends(get_services)]
Filter = Annotated[str, Query(max_length=500)]


@router.get("/")
def inbox(request: Request, session: ReaderSession, services: ServicesDep,
          status: Filter = OPEN_STATUSES, detector: Filter = "", agent: Filter = "",
          tool: Filter = "", service: Filter = "", q: Filter = "") -> Response:
    """Proposals by priority, with the filters in the URL so a view can be shared."""
    where = ProposalFilter(statuses=_values(status), detectors=_values(detector),
                           agents=_values(agent), tools=_values(tool))
    page = services.proposals.page(where, limit=MAX_PAGE)
    rows = [proposal_to_dict(p) for p in page.proposals]
    # the filters offer the values of every proposal: one more read unless this one was all
    every = rows if where == ProposalFilter() else [
        proposal_to_dict(p) for p in services.proposals.page(limit=MAX_PAGE).proposals]
    # service and free-text search are not repository filters: applied to the page read
    services_wanted = set(_values(service))
    rows = [r for r in rows if not services_wanted or r["subject"]["service"] in services_wanted]
    if q.strip():
        needle = q.strip().lower()
        rows = [r for r in rows if needle in _haystack(r)]
    return render(
        request, "inbox.html", proposals=rows, truncated=page.next_cursor is not None,
        counts=services.proposals.repository.count_by_status(),
        by_priority={p: sum(1 for r in rows if r["priority"] == p)
                     for p in ("high", "medium", "low")},
        choices=_choices(every), statuses=STATUSES, cost_of=cost_of,
        form={"status": status, "detector": detector, "agent": agent, "tool": tool,
              "service": service, "q": q},
    )


@router.get("/proposals/{proposal_id}")
def proposal_page(request: Request, session: ReaderSession, services: ServicesDep,
                  proposal_id: Annotated[str, Path(max_length=200)],
                  message: Annotated[str, Query(max_length=300)] = "") -> Response:
    try:
        proposal, history = services.proposals.get(proposal_id)
    except ProposalNotFound as error:
        return render(request, "not_found.html", status=404, message=str(error))
    body = proposal_to_dict(proposal, history)
    related = body["evidence"]["metrics"].pop("related", [])
    return render(
        request, "proposal.html", p=body, related=related if isinstance(related, list) else [],
        charts=evidence_charts(services.store, body),
        parameters=json.dumps(body["evidence"]["parameters"], indent=2, default=str),
        metrics=_flat_metrics(body["evidence"]["metrics"]), actions=list(ACTIONS),
        message=message, error="",
    )


@router.post("/proposals/{proposal_id}/act")
def act(request: Request, session: ReaderSession, services: ServicesDep,
        proposal_id: Annotated[str, Path(max_length=200)],
        action: Annotated[str, Form(max_length=20)],
        csrf: Annotated[str, Form(max_length=200)] = "",
        reason: Annotated[str, Form(max_length=4000)] = "",
        version: Annotated[str, Form(max_length=200)] = "",
        actor: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Record a decision, then show the proposal again (POST-redirect-GET)."""
    check_action(session, csrf)
    if action not in ACTIONS:
        raise InvalidRequest(f"unknown action {action!r}")
    who = session.principal.actor
    try:
        services.proposals.act(proposal_id, ACTIONS[action],
                               actor=f"{actor.strip()} ({who})" if actor.strip() else who,
                               reason=reason.strip(), version=version.strip())
    except AnalyzerError as error:
        if error.status >= 500:
            raise
        return RedirectResponse(f"/proposals/{proposal_id}?message={_short(str(error))}",
                                status_code=303)
    return RedirectResponse(f"/proposals/{proposal_id}?message={action}+recorded",
                            status_code=303)


@router.get("/traces/{trace_id}")
def trace_page(request: Request, session: ReaderSession, services: ServicesDep,
               trace_id: Annotated[str, Path(pattern=TRACE_ID_PATTERN)],
               limit: Annotated[int, Query(ge=1, le=MAX_SPANS)] = 2000) -> Response:
    try:
        trace = read_trace(services.store, trace_id, limit)
    except TraceNotFound as error:
        return render(request, "not_found.html", status=404, message=str(error))
    rows = waterfall(trace["spans"])
    total_ms = _trace_ms(trace["spans"])
    return render(request, "trace.html", trace=trace, rows=rows, total_ms=total_ms)


@router.get("/scorecards")
def scorecards_page(request: Request, session: ReaderSession, services: ServicesDep,
                    window: Annotated[str, Query(pattern=WINDOW_PATTERN)] = "7d") -> Response:
    agents = scorecards.agents(services, window=window, limit=200)["agents"]
    tools = scorecards.tools(services, window=window, limit=200)["tools"]
    matrix = scorecards.delegations(services, window=window, limit=500)
    edges = matrix["delegations"]
    callers = sorted({e["caller"] for e in edges})
    targets = sorted({e["target"] for e in edges})
    rates = {(e["caller"], e["target"]): 1 - e["failure_rate"] for e in edges}
    counts = {(e["caller"], e["target"]): e["calls"] for e in edges}
    chart = heatmap(callers, targets, rates, counts,
                    f"Delegation success rate, caller → callee (last {window})")
    return render(request, "scorecards.html", window=window, agents=agents, tools=tools,
                  edges=edges, heatmap=chart)


@router.get("/review")
def review_page(request: Request, session: ReaderSession, services: ServicesDep,
                window: Annotated[str, Query(pattern=WINDOW_PATTERN)] = "7d") -> Response:
    """The report ``gapwatch report`` writes, computed now, inside the UI's navigation."""
    with services.store.session() as client:
        data = collect_report(client, window.strip())
    page = render_html(data, trace_link=trace_link_template(""))
    nav = bytes(render(request, "nav.html").body).decode()
    return HTMLResponse(page.replace("<body>", f"<body>{nav}", 1))


def cost_of(proposal: dict[str, Any]) -> str:
    """What the gap costs, in the evidence's own terms: wasted tokens or time, else how often
    the subject fails; '' when the detector recorded none of these."""
    metrics = proposal["evidence"]["metrics"]
    parts = []
    if metrics.get("wasted_tokens"):
        parts.append(f"{metrics['wasted_tokens']:,.0f} tokens wasted")
    if metrics.get("wasted_seconds"):
        parts.append(f"{metrics['wasted_seconds']:,.0f} s wasted")
    rate = next((metrics[k] for k in ("failure_rate", "rate", "negative_rate")
                 if isinstance(metrics.get(k), int | float)), None)
    if rate is not None and not parts:
        calls = metrics.get("calls") or metrics.get("rated")
        parts.append(f"{rate:.0%} of {calls:,} fail" if calls else f"{rate:.0%} fail")
    return ", ".join(parts)


def _values(raw: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in raw.split(",") if v.strip())


def _haystack(row: dict[str, Any]) -> str:
    subject = " ".join(str(v) for v in row["subject"].values())
    return f"{row['title']} {row['summary']} {row['detector']} {subject}".lower()


def _choices(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The values each filter can take, from the proposals that exist."""
    def values(get: Any) -> list[str]:
        return sorted({v for v in map(get, rows) if v})

    return {
        "detector": values(lambda r: r["detector"]),
        "agent": values(lambda r: r["subject"]["agent"]),
        "tool": values(lambda r: r["subject"]["tool"]),
        "service": values(lambda r: r["subject"]["service"]),
    }


def _flat_metrics(metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """Metric name and a readable value; nested values as compact JSON."""
    out = []
    for name, value in metrics.items():
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, dict | list):
            text = json.dumps(value, default=str)
        else:
            text = str(value)
        out.append((name.replace("_", " "), text))
    return out


def _trace_ms(spans: list[dict[str, Any]]) -> float:
    if not spans:
        return 0.0
    start = min(s["start"] for s in spans)
    end = max(s["start"] + timedelta(milliseconds=s["duration_ms"]) for s in spans)
    return float((end - start).total_seconds() * 1000)


def _short(text: str) -> str:
    return quote_plus(text[:200])
