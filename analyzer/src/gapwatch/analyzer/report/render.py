"""The weekly review as Markdown or as one self-contained HTML file with inline SVG charts.

    text = render_markdown(data)
    page = render_html(data, trace_link="http://127.0.0.1:8080/traces/{trace_id}")

With ``trace_link`` (a URL template) sample trace ids link to the UI's trace view; without it
they are plain ids, and the HTML page has no link at all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from html import escape
from typing import Any

from gapwatch.analyzer.report.advice import recommend
from gapwatch.analyzer.report.charts import heatmap, scatter_chart, small_multiples
from gapwatch.analyzer.report.data import ReportData

_CSS = """body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;
color:#222}.scroll{overflow-x:auto}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}th{background:#f3f3f3}
figure{margin:1.5em 0}code{background:#f5f5f5;padding:0 3px;overflow-wrap:anywhere}
a{color:#1d4f91}"""
# A tool's error rate in a bucket is drawn only from this many calls up, and a tool gets a
# line only with this many such buckets: rates of one or two calls jump between 0 and 100 %.
MIN_BUCKET_CALLS = 5
MIN_BUCKETS = 3
MAX_LINES = 6
_BACKTICKS = re.compile(r"`([^`]+)`")


def render_markdown(data: ReportData, trace_link: str | None = None) -> str:
    lines = [f"# Agent performance review: {data.until:%Y-%m-%d}", "",
             f"Window {data.window}: {data.since:%Y-%m-%d %H:%M} → {data.until:%Y-%m-%d %H:%M} "
             "UTC, compared with the window before.", "", "## Summary", ""]
    lines += _table(["metric", "this window", "previous", "change"], _summary_rows(data))
    lines += ["", "## Top failure patterns", ""]
    if not data.patterns:
        lines.append("No failures in this window.")
    for index, pattern in enumerate(data.patterns, start=1):
        lines += [
            f"{index}. **{_pattern_title(pattern)}** "
            f"({_count(pattern['occurrences'], 'occurrence')}, "
            f"{_count(pattern['sessions'], 'session')})",
            f"   - Pattern: {pattern['pattern'] or pattern['outcome']}",
            f"   - Recommendation: {recommend(pattern, data.proposals)}",
            f"   - Sample traces: {_md_traces(pattern['traces'], trace_link)}",
        ]
    lines += ["", "## Proposals", ""]
    if not data.proposals:
        lines.append("No proposals yet: run `gapwatch analyze`.")
    for proposal in data.proposals:
        evidence = proposal["evidence"]
        lines += [
            f"### [{proposal['priority']}] {proposal['title']} — {proposal['status']}",
            "",
            f"{proposal['summary']}",
            "",
            f"- Evidence: {_evidence_counts(proposal)}, {evidence.get('first_seen', '?')} → "
            f"{evidence.get('last_seen', '?')}; traces "
            f"{_md_traces(evidence.get('traces', [])[:3], trace_link) or '—'}",
            f"- Proposed change: {proposal['proposed_change']}",
            f"- Expected impact: {proposal['expected_impact']}",
            f"- Risk: {proposal['risk']}",
            "",
        ]
    lines += ["## Tool scorecard", ""]
    lines += _table(["agent", "tool", "calls", "error rate", "vs previous", "p50 ms", "p95 ms",
                     "timeouts", "blocked"], _tool_rows(data))
    lines += ["", "## Delegation scorecard", ""]
    lines += _table(["caller", "callee", "delegations", "success", "vs previous", "p95 ms"],
                    _delegation_rows(data))
    lines += ["", "## Verification results", ""]
    verified = _verification_rows(data)
    lines += (_table(["proposal", "status", "version", "metric", "before", "after"], verified)
              if verified else ["No implemented proposals have been verified yet."])
    return "\n".join(lines) + "\n"


def render_html(data: ReportData, trace_link: str | None = None) -> str:
    markdown_free = [
        f"<h1>Agent performance review: {data.until:%Y-%m-%d}</h1>",
        f"<p>Window {escape(data.window)}: {data.since:%Y-%m-%d %H:%M} → "
        f"{data.until:%Y-%m-%d %H:%M} UTC, compared with the window before.</p>",
        "<h2>Summary</h2>", _html_table(["metric", "this window", "previous", "change"],
                                        _summary_rows(data)),
        "<h2>Charts</h2>",
        _error_rate_chart(data),
        f"<figure>{_timeout_chart(data)}</figure>",
        f"<figure>{_delegation_heatmap(data)}</figure>",
        "<h2>Top failure patterns</h2>",
        "<ol>" if data.patterns else "<p>No failures in this window.</p>",
    ]
    for pattern in data.patterns:
        markdown_free.append(
            f"<li><b>{escape(_pattern_title(pattern))}</b> "
            f"({_count(pattern['occurrences'], 'occurrence')}, "
            f"{_count(pattern['sessions'], 'session')})<br>Pattern: "
            f"<code>{escape(pattern['pattern'] or pattern['outcome'])}</code><br>"
            f"Recommendation: {_inline(recommend(pattern, data.proposals))}<br>Traces: "
            f"{_html_traces(pattern['traces'], trace_link)}</li>")
    markdown_free.append(("</ol>" if data.patterns else "") + "<h2>Proposals</h2>")
    if not data.proposals:
        markdown_free.append("<p>No proposals yet: run <code>gapwatch analyze</code>.</p>")
    for proposal in data.proposals:
        traces = _html_traces(proposal["evidence"].get("traces", [])[:3], trace_link)
        markdown_free.append(
            f"<h3>[{escape(proposal['priority'])}] {_inline(proposal['title'])} — "
            f"{escape(proposal['status'])}</h3><p>{_inline(proposal['summary'])}</p><ul>"
            f"<li>Evidence: {_evidence_counts(proposal)}"
            + (f"; traces {traces}" if traces else "") + "</li>"
            f"<li>Proposed change: {_inline(proposal['proposed_change'])}</li>"
            f"<li>Expected impact: {_inline(proposal['expected_impact'])}</li>"
            f"<li>Risk: {_inline(proposal['risk'])}</li></ul>")
    markdown_free += [
        "<h2>Tool scorecard</h2>",
        _html_table(["agent", "tool", "calls", "error rate", "vs previous", "p50 ms", "p95 ms",
                     "timeouts", "blocked"], _tool_rows(data)),
        "<h2>Delegation scorecard</h2>",
        _html_table(["caller", "callee", "delegations", "success", "vs previous", "p95 ms"],
                    _delegation_rows(data)),
        "<h2>Verification results</h2>",
    ]
    verified = _verification_rows(data)
    markdown_free.append(
        _html_table(["proposal", "status", "version", "metric", "before", "after"], verified)
        if verified else "<p>No implemented proposals have been verified yet.</p>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>gapwatch review {data.until:%Y-%m-%d}</title><style>{_CSS}</style></head>"
            f"<body>{''.join(markdown_free)}</body></html>\n")


def _error_rate_chart(data: ReportData) -> str:
    """The error-rate trend of the tools that fail most, or a sentence when no tool has
    enough calls over enough of the window for a trend to mean anything."""
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    failures: dict[str, float] = defaultdict(float)
    for row in data.error_series:
        if int(row["calls"]) < MIN_BUCKET_CALLS:
            continue
        bucket = row["bucket"] if row["bucket"].tzinfo else row["bucket"].replace(tzinfo=UTC)
        series[row["tool"]].append((bucket, float(row["error_rate"])))
        failures[row["tool"]] += float(row["error_rate"]) * int(row["calls"])
    tools = [t for t in series if len(series[t]) >= MIN_BUCKETS and failures[t] > 0]
    tools = sorted(tools, key=lambda t: (-failures[t], t))[:MAX_LINES]
    if not tools:
        return (f"<p>No error-rate trend: no failing tool had {MIN_BUCKET_CALLS} or more calls "
                f"in {MIN_BUCKETS} or more of the window's time buckets.</p>")
    title = f"Error rate over time, the {len(tools)} tools with most failures"
    return f"<figure>{small_multiples({t: series[t] for t in tools}, title)}</figure>"


def _timeout_chart(data: ReportData) -> str:
    points = [(float(p["input_size"]), bool(p["timed_out"]), p["tool"])
              for p in data.timeout_points]
    unit = data.timeout_points[0]["input_unit"] if data.timeout_points else ""
    return scatter_chart(points, "Timeouts vs input size", unit)


def _delegation_heatmap(data: ReportData) -> str:
    callers = sorted({row["caller_agent"] for row in data.delegations})
    callees = sorted({row["target_agent"] for row in data.delegations})
    values = {(r["caller_agent"], r["target_agent"]): float(r["success_rate"])
              for r in data.delegations}
    counts = {(r["caller_agent"], r["target_agent"]): int(r["delegations"])
              for r in data.delegations}
    return heatmap(callers, callees, values, counts, "Delegation success (caller × callee)")


def _summary_rows(data: ReportData) -> list[list[str]]:
    def rate(totals: dict[str, float], failures: str, total: str) -> float:
        return totals[failures] / totals[total] if totals[total] else 0.0

    rows = []
    for label, key in (("agent runs", "agent_runs"), ("sessions", "sessions"),
                       ("tool calls", "tool_calls"), ("delegations", "delegations"),
                       ("tokens", "tokens")):
        now, before = data.totals[key], data.previous_totals[key]
        rows.append([label, f"{now:,}", f"{before:,}", _delta(now, before, relative=True)])
    for label, failures, total in (("tool error rate", "tool_failures", "tool_calls"),
                                   ("delegation failure rate", "delegation_failures",
                                    "delegations")):
        now_rate = rate(data.totals, failures, total)
        before_rate = rate(data.previous_totals, failures, total)
        rows.append([label, f"{now_rate:.1%}", f"{before_rate:.1%}",
                     _delta(now_rate, before_rate)])
    return rows


def _tool_rows(data: ReportData) -> list[list[str]]:
    rows = []
    for tool in data.tools:
        previous = data.previous_tools.get((tool["agent"], tool["tool"]))
        trend = _delta(tool["error_rate"], previous["error_rate"]) if previous else "new"
        rows.append([tool["agent"], tool["tool"], f"{tool['calls']:,}",
                     f"{tool['error_rate']:.1%}", trend, f"{tool['p50_ms']:,.0f}",
                     f"{tool['p95_ms']:,.0f}", str(tool["timeouts"]), str(tool["blocked"])])
    return rows


def _delegation_rows(data: ReportData) -> list[list[str]]:
    rows = []
    for row in data.delegations:
        previous = data.previous_delegations.get((row["caller_agent"], row["target_agent"]))
        trend = _delta(row["success_rate"], previous["success_rate"]) if previous else "new"
        rows.append([row["caller_agent"], row["target_agent"], f"{row['delegations']:,}",
                     f"{row['success_rate']:.1%}", trend, f"{row['p95_ms']:,.0f}"])
    return rows


def _verification_rows(data: ReportData) -> list[list[str]]:
    rows = []
    for proposal in data.proposals:
        verification = proposal["verification"]
        if proposal["status"] not in ("verified", "regressed", "implemented"):
            continue
        rows.append([proposal["title"], proposal["status"], proposal["implemented_version"],
                     str(verification.get("metric", "")), _num(verification.get("before")),
                     _num(verification.get("after"))])
    return rows


def _pattern_title(pattern: dict[str, Any]) -> str:
    subject = pattern["who"] + (f".{pattern['tool']}" if pattern["tool"] else "")
    return f"{subject} {pattern['outcome'].replace('_', ' ')}"


def _count(number: int, noun: str) -> str:
    """``1 session``, ``2 sessions``."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _evidence_counts(proposal: dict[str, Any]) -> str:
    evidence = proposal["evidence"]
    text = _count(int(evidence.get("count", proposal["evidence_count"])), "occurrence")
    sessions = evidence.get("sessions")
    return text + (f" in {_count(int(sessions), 'session')}" if sessions is not None else "")


def _inline(text: str) -> str:
    """Detector texts quote names in Markdown backticks: in HTML those become code."""
    return _BACKTICKS.sub(r"<code>\1</code>", escape(text))


def _md_traces(trace_ids: list[str], trace_link: str | None) -> str:
    if trace_link is None:
        return ", ".join(f"`{t}`" for t in trace_ids)
    return ", ".join(f"[`{t}`]({trace_link.format(trace_id=t)})" for t in trace_ids)


def _html_traces(trace_ids: list[str], trace_link: str | None) -> str:
    if trace_link is None:
        return ", ".join(f"<code>{escape(t)}</code>" for t in trace_ids)
    return ", ".join(f'<a href="{escape(trace_link.format(trace_id=t))}"><code>{escape(t)}'
                     "</code></a>" for t in trace_ids)


def _delta(now: float, before: float, relative: bool = False) -> str:
    if relative:
        if not before:
            return "new" if now else "—"
        return f"{(now - before) / before:+.0%}"
    return f"{(now - before) * 100:+.1f} pp"


def _num(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else "—"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return out


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")
