"""A trace told compactly: which agents ran, which tools they called, and what failed, in order.

    summary = summarize_trace(api_trace)   # the JSON of GET /api/v1/traces/{trace_id}

A model reading a trace needs the story, not every span's attributes: counts per agent and
tool, and the failures with their errors in time order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gapwatch.analyzer.mcp_server.answers import AgentInTrace, Failure, ToolInTrace, TraceSummary
from gapwatch.analyzer.mcp_server.budget import MAX_ANSWER_CHARS, clip, fit_rows

FAILED = frozenset({"error", "soft_error", "blocked", "timeout"})
FAILURES_SHOWN = 25
LISTED = 40  # at most this many agents, and tool-and-agent pairs
MESSAGE_CHARS = 300
NAME_CHARS = 200


def summarize_trace(trace: dict[str, Any]) -> TraceSummary:
    spans = sorted(trace["spans"], key=lambda s: s["start"])
    starts = [_moment(s["start"]) for s in spans]
    origin = min(starts) if starts else None
    ends = [start.timestamp() * 1000 + s["duration_ms"] for start, s in zip(starts, spans,
                                                                             strict=True)]
    duration = (max(ends) - origin.timestamp() * 1000) if origin else 0.0

    agents: dict[str, AgentInTrace] = {}
    tools: dict[tuple[str, str], ToolInTrace] = {}
    failures: list[Failure] = []
    for start, span in zip(starts, spans, strict=True):
        failed = span.get("outcome") in FAILED
        agent = clip(span.get("agent") or "", NAME_CHARS)
        if agent:
            seen = agents.setdefault(agent, AgentInTrace(agent=agent, runs=0, failures=0))
            if span.get("kind") == "agent":
                seen.runs += 1
                seen.failures += failed
        if span.get("kind") == "tool":
            tool = clip(span.get("tool") or "", NAME_CHARS)
            calls = tools.setdefault((tool, agent), ToolInTrace(tool=tool, agent=agent, calls=0,
                                                                failures=0))
            calls.calls += 1
            calls.failures += failed
        if failed:
            assert origin is not None
            failures.append(Failure(
                at_ms=round((start - origin).total_seconds() * 1000, 3),
                kind=span.get("kind") or "span", agent=agent,
                tool=clip(span.get("tool") or "", NAME_CHARS),
                target_agent=clip(span.get("target_agent") or "", NAME_CHARS),
                outcome=span["outcome"], error_type=clip(span.get("error_type") or "", NAME_CHARS),
                message=clip(span.get("status_message") or "", MESSAGE_CHARS),
            ))

    def build(listed: int, failure_count: int) -> TraceSummary:
        notes = []
        if failure_count < len(failures):
            notes.append(f"the first {failure_count} of {len(failures)} failures shown")
        if trace.get("truncated"):
            notes.append(f"the trace has more than {len(spans)} spans; only those were read")
        if listed < len(agents):
            notes.append(f"the first {listed} of {len(agents)} agents shown")
        if listed < len(tools):
            notes.append(f"the first {listed} of {len(tools)} tool and agent pairs shown")
        return TraceSummary(
            trace_id=trace["trace_id"], spans=len(spans), duration_ms=round(duration, 3),
            services=sorted({clip(s.get("service", ""), NAME_CHARS) for s in spans} - {""})[:20],
            agents=list(agents.values())[:listed], tools=list(tools.values())[:listed],
            failures=failures[:failure_count], failures_total=len(failures),
            note="; ".join(notes),
        )

    # who ran and what was called may take half the budget; the failures get the rest
    most = min(max(len(agents), len(tools)), LISTED)
    _, listed = fit_rows(lambda n: build(n, 0), most, budget=MAX_ANSWER_CHARS // 2)
    answer, _ = fit_rows(lambda n: build(listed, n), min(len(failures), FAILURES_SHOWN))
    return answer


def _moment(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
