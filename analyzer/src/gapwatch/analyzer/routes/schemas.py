"""The API's request and response bodies (DESIGN §4): pydantic lives here, at the HTTP edge.

    ProposalList.model_validate({"proposals": [...], "next_cursor": None})
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gapwatch.analyzer.routes.inputs import WINDOW_PATTERN as WINDOW_PATTERN  # re-exported
from gapwatch.analyzer.routes.inputs import check_instant, check_window

Priority = Literal["high", "medium", "low"]
StatusName = Literal[
    "open", "approved", "rejected", "snoozed", "implemented", "verified", "regressed", "reopened"
]
Instant = Annotated[datetime | None, AfterValidator(check_instant)]


class Subject(BaseModel):
    """What a proposal is about; detectors may add further keys."""

    model_config = ConfigDict(extra="allow")

    service: str = ""
    agent: str = ""
    tool: str = ""
    target_agent: str = ""
    error_type: str = ""
    version: str = ""


class Evidence(BaseModel):
    count: int
    sessions: int
    traces: list[str] = Field(description="sample trace ids, newest first")
    first_seen: datetime | None
    last_seen: datetime | None
    window: str
    metrics: dict[str, Any]
    query: str = Field(default="", description="the SQL that produced the finding")
    parameters: dict[str, Any] = {}


class HistoryEntry(BaseModel):
    at: datetime
    from_status: StatusName | None
    to_status: StatusName
    actor: str
    reason: str
    details: dict[str, Any]


class Proposal(BaseModel):
    id: str
    detector: str
    type: str
    priority: Priority
    confidence: float = Field(ge=0, le=1)
    status: StatusName
    title: str
    summary: str
    subject: Subject
    evidence: Evidence
    proposed_change: str
    expected_impact: str
    risk: str
    snoozed_until: datetime | None = None
    implemented_version: str | None = None
    implemented_at: datetime | None = None
    verification: dict[str, Any] | None = Field(
        default=None, description="before/after numbers and the test's verdict once implemented"
    )
    created_at: datetime
    updated_at: datetime


class ProposalWithHistory(Proposal):
    history: list[HistoryEntry]


class ProposalList(BaseModel):
    proposals: list[Proposal]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    window: Annotated[str, AfterValidator(check_window)] = Field(
        default="7d", pattern=WINDOW_PATTERN, description="e.g. 30m, 24h, 7d, 2w (at most 366d)"
    )
    dry_run: bool = Field(default=False, description="compute everything, write nothing")
    run_async: bool = Field(
        default=False, alias="async", description="return at once, run in background"
    )


class ProposalCounts(BaseModel):
    new: int
    updated: int
    reopened: int = 0
    suppressed: int = 0


class VerificationCounts(BaseModel):
    verified: int
    regressed: int


class AnalysedData(BaseModel):
    """What the analysed window held; ``note`` says when it was too little to find anything."""

    spans: int
    traces: int
    sessions: int
    agent_runs: int
    user_runs: int
    tool_calls: int
    model_calls: int
    delegations: int
    enough: bool = Field(description="false: too little data for any detector to speak")
    note: str = ""


class Analysis(BaseModel):
    id: str
    started_at: datetime
    finished_at: datetime | None
    window: str
    dry_run: bool
    findings: int | None
    proposals: ProposalCounts | None
    verification: VerificationCounts | None = None
    error: str | None = None
    data: AnalysedData | None = None


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=4000)
    version: str = Field(default="", max_length=200, description="version marker for `implemented`")
    until: Instant = Field(default=None, description="end of a snooze (default: 7 days)")
    at: Instant = Field(
        default=None, description="`implemented`: when the change shipped, if before now"
    )
    actor: str | None = Field(
        default=None, max_length=200, description="who decides (default: token)"
    )


class AgentScore(BaseModel):
    service: str
    agent: str
    runs: int
    spans: int
    failures: int
    failure_rate: float
    tool_calls: int
    tool_failures: int
    delegations: int
    sessions: int
    input_tokens: int
    output_tokens: int
    p95_ms: float


class AgentScores(BaseModel):
    window: str
    agents: list[AgentScore]


class ToolScore(BaseModel):
    service: str
    tool: str
    agents: list[str]
    calls: int
    errors: int
    soft_errors: int
    blocked: int
    timeouts: int
    failure_rate: float
    sessions: int
    p50_ms: float
    p95_ms: float
    last_seen: datetime | None


class ToolScores(BaseModel):
    window: str
    tools: list[ToolScore]


class Delegation(BaseModel):
    service: str
    caller: str
    target: str
    calls: int
    failures: int
    failure_rate: float
    categories: list[str]
    p95_ms: float


class DelegationMatrix(BaseModel):
    window: str
    agents: list[str] = Field(description="every caller and target, sorted: the matrix axes")
    delegations: list[Delegation]


class SpanEvent(BaseModel):
    name: str
    time: datetime
    attributes: dict[str, str]


class TraceSpan(BaseModel):
    """One span of ``otel_traces`` with the model's reading of it."""

    span_id: str
    parent_span_id: str = Field(description="'' for the root")
    name: str
    service: str
    start: datetime
    duration_ms: float
    status_code: str = Field(description="Unset, Ok or Error")
    status_message: str
    span_kind: str = Field(description="Internal, Server, Client, Producer, Consumer")
    kind: str = Field(description="agent, delegation, tool, llm; '' for structural spans")
    agent: str = Field(description="an agent span's own agent, else the agent that owns it")
    tool: str
    target_agent: str = Field(description="a delegation's callee")
    outcome: str = Field(description="ok, error, soft_error, blocked, timeout")
    error_type: str
    model: str
    input_tokens: int
    output_tokens: int
    attributes: dict[str, str]
    events: list[SpanEvent]


class Trace(BaseModel):
    trace_id: str
    spans: list[TraceSpan] = Field(description="oldest first")
    truncated: bool = Field(description="the trace has more spans than the limit")


class Identity(BaseModel):
    """Who the presented token is: what a client needs to offer only what it may do."""

    role: Literal["reader", "admin"]
    actor: str = Field(description="what the audit history records for this caller")


class Health(BaseModel):
    status: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
