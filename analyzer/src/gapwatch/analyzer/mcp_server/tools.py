"""The MCP tools: what a model may ask gapwatch, each a typed request to the API and a compact
answer.

    spec = TOOLS_BY_NAME["list_proposals"]
    answer = await spec.run(call, spec.arguments.model_validate({"status": ["open"]}))

Lifecycle tools (approve, reject, snooze, mark implemented) and running an analysis are
``admin_only``: they are listed and callable only for an admin token, need a reason, and are
recorded under the MCP client's name, so a person stays the one who decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from gapwatch.analyzer.mcp_server import answers, arguments
from gapwatch.analyzer.mcp_server.api_client import GapwatchApi
from gapwatch.analyzer.mcp_server.budget import (
    MAX_ANSWER_CHARS,
    clip,
    clip_values,
    fit_rows,
    size,
)
from gapwatch.analyzer.mcp_server.traces import summarize_trace

API = "/api/v1"
SCORE_ROWS = 1000  # the API's own cap; tools page within it
SAMPLE_TRACES = 5
TEXT_CHARS = 600
VALUE_CHARS = 200


@dataclass(frozen=True)
class Caller:
    """Who is asking: the token forwarded to the API, its role, and the audit actor."""

    token: str
    admin: bool
    actor: str  # "mcp:<client name>", what lifecycle actions record


@dataclass(frozen=True)
class Call:
    api: GapwatchApi
    caller: Caller


Runner = Callable[[Call, Any], Awaitable[BaseModel]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    arguments: type[arguments.Arguments]
    answer: type[BaseModel]
    run: Runner
    admin_only: bool = False
    read_only: bool = True


# --- reading --------------------------------------------------------------------------------

async def list_proposals(call: Call, args: arguments.ListProposals) -> answers.ProposalPage:
    params: dict[str, Any] = {
        "status": ",".join(args.status or []), "priority": ",".join(args.priority or []),
        "detector": ",".join(args.detector or []), "agent": args.agent or "",
        "tool": args.tool or "", "limit": args.limit, "cursor": args.cursor or "",
    }
    params = {key: value for key, value in params.items() if value not in ("", None)}
    page = await call.api.get(f"{API}/proposals", call.caller.token, params=params)
    briefs = [_brief(p) for p in page["proposals"]]

    def build(count: int, cursor: str | None) -> answers.ProposalPage:
        note = "more proposals: call again with cursor=next_cursor" if cursor else ""
        return answers.ProposalPage(proposals=briefs[:count], next_cursor=cursor, note=note)

    answer, shown = fit_rows(lambda n: build(n, page["next_cursor"]), len(briefs))
    if shown < len(briefs):
        # the API's cursor points past the rows that did not fit: ask for a page that ends here
        params["limit"] = shown
        again = await call.api.get(f"{API}/proposals", call.caller.token, params=params)
        answer = build(shown, again["next_cursor"])
    return answer


def _brief(proposal: dict[str, Any]) -> answers.ProposalBrief:
    subject, evidence = proposal["subject"], proposal["evidence"]
    return answers.ProposalBrief(
        id=proposal["id"], title=clip(proposal["title"], 200), detector=proposal["detector"],
        priority=proposal["priority"], confidence=proposal["confidence"],
        status=proposal["status"], agent=subject.get("agent", ""), tool=subject.get("tool", ""),
        target_agent=subject.get("target_agent", ""), evidence_count=evidence["count"],
        sessions=evidence["sessions"], last_seen=evidence.get("last_seen"),
    )


@dataclass(frozen=True)
class _Detail:
    """How much of a proposal's detail to show; the levels below shrink until one fits."""

    history: int
    sql: int
    values: int  # characters of each evidence value
    items: int  # entries of each evidence list or object


_DETAIL_LEVELS = (_Detail(10, 3000, 200, 20), _Detail(5, 1500, 100, 10),
                  _Detail(2, 600, 60, 5), _Detail(1, 200, 40, 3))


async def show_proposal(call: Call, args: arguments.ProposalRef) -> answers.ProposalDetail:
    proposal = await call.api.get(f"{API}/proposals/{args.proposal_id}", call.caller.token)
    evidence = proposal["evidence"]
    traces, history = evidence["traces"], proposal["history"]
    query = evidence.get("query", "")

    def build(level: _Detail) -> answers.ProposalDetail:
        notes = []
        if len(traces) > SAMPLE_TRACES:
            notes.append(f"{SAMPLE_TRACES} of {len(traces)} sample traces shown")
        if len(history) > level.history:
            notes.append(f"the last {level.history} of {len(history)} history entries shown")
        if len(query) > level.sql:
            notes.append("the SQL is clipped")
        if level is not _DETAIL_LEVELS[0]:
            notes.append("evidence values are shortened")
        if len(notes) > 1 or len(query) > level.sql:
            notes.append(f"GET /api/v1/proposals/{proposal['id']} has everything")
        return answers.ProposalDetail(
            id=proposal["id"], title=clip(proposal["title"], 300),
            summary=clip(proposal["summary"], TEXT_CHARS * 2), detector=proposal["detector"],
            type=proposal["type"], priority=proposal["priority"],
            confidence=proposal["confidence"], status=proposal["status"],
            subject=clip_values(proposal["subject"], VALUE_CHARS, 20),
            evidence=answers.EvidenceDetail(
                count=evidence["count"], sessions=evidence["sessions"],
                first_seen=evidence.get("first_seen"), last_seen=evidence.get("last_seen"),
                window=evidence["window"], sample_traces=traces[:SAMPLE_TRACES],
                traces_total=len(traces),
                metrics=clip_values(evidence["metrics"], level.values, level.items),
                sql=clip(query, level.sql),
                sql_parameters=clip_values(evidence.get("parameters", {}), level.values,
                                           level.items),
            ),
            proposed_change=clip(proposal["proposed_change"], TEXT_CHARS * 2),
            expected_impact=clip(proposal["expected_impact"], TEXT_CHARS),
            risk=clip(proposal["risk"], TEXT_CHARS),
            implemented_version=proposal.get("implemented_version"),
            verification=clip_values(proposal.get("verification"), level.values, level.items),
            history=[_history(entry) for entry in history[-level.history:]],
            history_total=len(history), note="; ".join(notes),
        )

    for level in _DETAIL_LEVELS:
        answer = build(level)
        if size(answer) <= MAX_ANSWER_CHARS:
            break
    return answer


def _history(entry: dict[str, Any]) -> answers.HistoryEntry:
    return answers.HistoryEntry(at=entry["at"], from_status=entry["from_status"],
                                to_status=entry["to_status"], actor=clip(entry["actor"], 200),
                                reason=clip(entry["reason"], TEXT_CHARS))


async def agent_scorecard(call: Call, args: arguments.AgentScorecard
                          ) -> answers.AgentScorecardAnswer:
    body = await _scores(call, "agents", args.window)
    rows = [row for row in body["agents"] if args.agent in (None, row["agent"])]
    return _page(args, rows, lambda page, meta: answers.AgentScorecardAnswer(
        agents=[answers.AgentRow.model_validate(row) for row in page], **meta))


async def tool_scorecard(call: Call, args: arguments.ToolScorecard) -> answers.ToolScorecardAnswer:
    body = await _scores(call, "tools", args.window)
    rows = [row for row in body["tools"] if args.tool in (None, row["tool"])
            and (args.agent is None or args.agent in row["agents"])]
    return _page(args, rows, lambda page, meta: answers.ToolScorecardAnswer(
        tools=[answers.ToolRow.model_validate(row) for row in page], **meta))


async def delegation_matrix(call: Call, args: arguments.DelegationMatrix
                            ) -> answers.DelegationAnswer:
    body = await _scores(call, "delegations", args.window)
    rows = [row for row in body["delegations"]
            if args.agent in (None, row["caller"], row["target"])]
    return _page(args, rows, lambda page, meta: answers.DelegationAnswer(
        agents=sorted({r["caller"] for r in page} | {r["target"] for r in page}),
        delegations=[answers.DelegationRow.model_validate(row) for row in page], **meta))


async def _scores(call: Call, resource: str, window: str) -> dict[str, Any]:
    body: dict[str, Any] = await call.api.get(f"{API}/{resource}", call.caller.token,
                                              params={"window": window, "limit": SCORE_ROWS})
    return body


PageT = TypeVar("PageT", bound=answers.Page)


def _page(args: arguments.Scorecard, rows: list[dict[str, Any]],
          make: Callable[[list[dict[str, Any]], dict[str, Any]], PageT]) -> PageT:
    """One page of scorecard rows from ``offset``, as many as ``limit`` and the budget allow."""
    rows = [clip_values(row, VALUE_CHARS) for row in rows]
    window = rows[args.offset: args.offset + args.limit]

    def build(count: int) -> PageT:
        after = args.offset + count
        more = after < len(rows)
        note = f"{len(rows) - after} more rows: call again with offset={after}" if more else ""
        if len(rows) >= SCORE_ROWS:
            note = (note + "; " if note else "") + f"only the first {SCORE_ROWS} rows are read"
        meta = {"window": args.window, "total": len(rows), "offset": args.offset,
                "next_offset": after if more else None, "note": note}
        return make(window[:count], meta)

    answer, _ = fit_rows(build, len(window))
    return answer


async def trace_summary(call: Call, args: arguments.TraceRef) -> answers.TraceSummary:
    trace = await call.api.get(f"{API}/traces/{args.trace_id}", call.caller.token)
    return summarize_trace(trace)


# --- acting (admin only) ---------------------------------------------------------------------

async def run_analysis(call: Call, args: arguments.RunAnalysis) -> answers.AnalysisAnswer:
    run = await call.api.post(f"{API}/analyses", call.caller.token,
                              {"window": args.window, "dry_run": args.dry_run})
    data = run.get("data") or {}
    return answers.AnalysisAnswer(
        id=run["id"], window=run["window"], dry_run=run["dry_run"], findings=run["findings"],
        proposals=run["proposals"], verification=run.get("verification"),
        data_note=clip(str(data.get("note") or ""), TEXT_CHARS), error=run.get("error"),
        started_at=run["started_at"], finished_at=run.get("finished_at"),
    )


def _decide(action: str) -> Runner:
    async def decide(call: Call, args: arguments.Decision) -> answers.DecisionAnswer:
        body: dict[str, Any] = {"reason": args.reason, "actor": call.caller.actor}
        if isinstance(args, arguments.Snooze) and args.until is not None:
            body["until"] = args.until.isoformat()
        if isinstance(args, arguments.Implemented):
            body["version"] = args.version
            if args.shipped_at is not None:
                body["at"] = args.shipped_at.isoformat()
        proposal = await call.api.post(f"{API}/proposals/{args.proposal_id}/{action}",
                                       call.caller.token, body)
        return answers.DecisionAnswer(id=proposal["id"], title=proposal["title"],
                                      status=proposal["status"],
                                      recorded=_history(proposal["history"][-1]))

    return decide


_DECISION_NOTE = (" Only call this when the person you work for has decided it; pass their "
                  "reason. It is recorded in the proposal's audit history under this client's "
                  "name.")

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_proposals", "List improvement proposals",
        "What keeps failing in the agent fleet: gapwatch's improvement proposals, highest "
        "priority first, each naming the agent or tool to fix and how much evidence it has. "
        "Filter by status (open and reopened await a decision), priority, detector, agent or "
        "tool. Use show_proposal for one proposal's full evidence.",
        arguments.ListProposals, answers.ProposalPage, list_proposals),
    ToolSpec(
        "show_proposal", "Show one proposal with its evidence",
        "One proposal in full: summary, proposed change, expected impact and risk, the evidence "
        "(counts, first and last seen, metrics, sample trace ids, the SQL that found it) and its "
        "audit history.",
        arguments.ProposalRef, answers.ProposalDetail, show_proposal),
    ToolSpec(
        "agent_scorecard", "Agent scorecard",
        "Per agent over a window: runs, failures and failure rate, tool calls and tool "
        "failures, delegations, sessions, tokens and p95 latency. Use it to see which agent "
        "struggles most.",
        arguments.AgentScorecard, answers.AgentScorecardAnswer, agent_scorecard),
    ToolSpec(
        "tool_scorecard", "Tool scorecard",
        "Per tool over a window: calls by outcome (errors, soft errors, blocked, timeouts), "
        "failure rate, p95 latency and the agents that use it. Use it to see which tool fails "
        "most, or what one agent's tools look like.",
        arguments.ToolScorecard, answers.ToolScorecardAnswer, tool_scorecard),
    ToolSpec(
        "delegation_matrix", "Delegation matrix",
        "Who delegates to whom over a window, how often, and how often the delegated task "
        "fails. Use it for multi-agent hand-offs.",
        arguments.DelegationMatrix, answers.DelegationAnswer, delegation_matrix),
    ToolSpec(
        "trace_summary", "Summarize one trace",
        "What happened in one trace: the agents that ran, the tools they called, and every "
        "failure in time order with its error. Pass a sample trace id from a proposal's "
        "evidence to see a failure as it happened.",
        arguments.TraceRef, answers.TraceSummary, trace_summary),
    ToolSpec(
        "run_analysis", "Run an analysis now",
        "Run every detector over a window now and fold the findings into proposals (dry_run: "
        "report the counts, write nothing). Analyses also run on a schedule; call this after "
        "new traffic when an up-to-date answer matters.",
        arguments.RunAnalysis, answers.AnalysisAnswer, run_analysis,
        admin_only=True, read_only=False),
    ToolSpec(
        "approve_proposal", "Approve a proposal",
        "Approve a proposal's change so it gets implemented." + _DECISION_NOTE,
        arguments.Decision, answers.DecisionAnswer, _decide("approve"),
        admin_only=True, read_only=False),
    ToolSpec(
        "reject_proposal", "Reject a proposal",
        "Reject a proposal; it stays quiet until its evidence grows past today's." + _DECISION_NOTE,
        arguments.Decision, answers.DecisionAnswer, _decide("reject"),
        admin_only=True, read_only=False),
    ToolSpec(
        "snooze_proposal", "Snooze a proposal",
        "Put a proposal aside until a date (default 7 days); then it is open again."
        + _DECISION_NOTE,
        arguments.Snooze, answers.DecisionAnswer, _decide("snooze"),
        admin_only=True, read_only=False),
    ToolSpec(
        "mark_implemented", "Mark a proposal implemented",
        "Mark an approved proposal's change as shipped (with the version that carries it); "
        "gapwatch then verifies whether the problem went away." + _DECISION_NOTE,
        arguments.Implemented, answers.DecisionAnswer, _decide("implemented"),
        admin_only=True, read_only=False),
)

TOOLS_BY_NAME = {spec.name: spec for spec in TOOLS}
