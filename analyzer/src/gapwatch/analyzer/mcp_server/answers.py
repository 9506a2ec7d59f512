"""What each MCP tool returns: pydantic models whose JSON schemas are the tools' output schemas.

Shapes are the API's, made compact for a model's context: lists are paged, long text is clipped,
and ``note`` says what was left out and how to get it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from gapwatch.analyzer.routes.schemas import ProposalCounts

NOTE = Field(default="", description="what was left out of this answer and how to get it")


class ProposalBrief(BaseModel):
    id: str
    title: str
    detector: str
    priority: str
    confidence: float
    status: str
    agent: str = Field(description="who can be fixed ('' when the subject has no agent)")
    tool: str
    target_agent: str = Field(description="a delegation's callee")
    evidence_count: int
    sessions: int
    last_seen: str | None


class ProposalPage(BaseModel):
    proposals: list[ProposalBrief]
    next_cursor: str | None = Field(description="pass as cursor to read the next page")
    note: str = NOTE


class HistoryEntry(BaseModel):
    at: str
    from_status: str | None
    to_status: str
    actor: str
    reason: str


class EvidenceDetail(BaseModel):
    count: int
    sessions: int
    first_seen: str | None
    last_seen: str | None
    window: str
    sample_traces: list[str] = Field(description="trace ids to pass to trace_summary")
    traces_total: int
    metrics: dict[str, Any]
    sql: str = Field(description="the query that produced the finding")
    sql_parameters: dict[str, Any]


class ProposalDetail(BaseModel):
    id: str
    title: str
    summary: str
    detector: str
    type: str
    priority: str
    confidence: float
    status: str
    subject: dict[str, Any]
    evidence: EvidenceDetail
    proposed_change: str
    expected_impact: str
    risk: str
    implemented_version: str | None
    verification: dict[str, Any] | None
    history: list[HistoryEntry] = Field(description="the latest changes of status, oldest first")
    history_total: int
    note: str = NOTE


class AnalysisAnswer(BaseModel):
    id: str
    window: str
    dry_run: bool
    findings: int | None
    proposals: ProposalCounts | None
    verification: dict[str, int] | None
    data_note: str = Field(default="", description="set when the window held too little data")
    error: str | None = None
    started_at: str
    finished_at: str | None


class Page(BaseModel):
    window: str
    total: int = Field(description="rows matching, before paging")
    offset: int
    next_offset: int | None = Field(description="pass as offset for the next page")
    note: str = NOTE


class AgentRow(BaseModel):
    service: str
    agent: str
    runs: int
    failures: int
    failure_rate: float
    tool_calls: int
    tool_failures: int
    delegations: int
    sessions: int
    input_tokens: int
    output_tokens: int
    p95_ms: float


class AgentScorecardAnswer(Page):
    agents: list[AgentRow]


class ToolRow(BaseModel):
    service: str
    tool: str
    agents: list[str]
    calls: int
    errors: int
    soft_errors: int
    blocked: int
    timeouts: int
    failure_rate: float
    p95_ms: float
    last_seen: str | None


class ToolScorecardAnswer(Page):
    tools: list[ToolRow]


class DelegationRow(BaseModel):
    service: str
    caller: str
    target: str
    calls: int
    failures: int
    failure_rate: float
    categories: list[str]
    p95_ms: float


class DelegationAnswer(Page):
    agents: list[str] = Field(description="every caller and target on this page")
    delegations: list[DelegationRow]


class AgentInTrace(BaseModel):
    agent: str
    runs: int
    failures: int


class ToolInTrace(BaseModel):
    tool: str
    agent: str
    calls: int
    failures: int


class Failure(BaseModel):
    at_ms: float = Field(description="milliseconds after the trace's first span started")
    kind: str = Field(description="agent, delegation, tool or llm")
    agent: str
    tool: str
    target_agent: str
    outcome: str = Field(description="error, soft_error, blocked or timeout")
    error_type: str
    message: str


class TraceSummary(BaseModel):
    trace_id: str
    spans: int
    duration_ms: float
    services: list[str]
    agents: list[AgentInTrace] = Field(description="in order of first appearance")
    tools: list[ToolInTrace] = Field(description="in order of first call")
    failures: list[Failure] = Field(description="in time order")
    failures_total: int
    note: str = NOTE


class DecisionAnswer(BaseModel):
    id: str
    title: str
    status: str
    recorded: HistoryEntry = Field(description="the audit entry this action wrote")
