"""What each MCP tool accepts: pydantic models whose JSON schemas are the tools' input schemas.

Unknown keys are refused (``extra="forbid"``) so a misspelt filter is an error the model sees,
not a silently wider answer. Descriptions are written for a model choosing values.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from gapwatch.analyzer.routes.schemas import WINDOW_PATTERN, Priority, StatusName

PROPOSAL_ID_PATTERN = r"^[0-9A-Za-z_-]{1,64}$"
TRACE_ID_PATTERN = r"^[0-9a-fA-F]{32}$"
MAX_LIST_PAGE = 25
MAX_SCORE_PAGE = 50

Window = Field(default="7d", pattern=WINDOW_PATTERN,
               description="how far back to look: a number and m, h, d or w, e.g. 24h, 7d, 2w")


class Arguments(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListProposals(Arguments):
    status: list[StatusName] | None = Field(
        default=None, description="only these statuses; open and reopened are the ones awaiting "
        "a decision")
    priority: list[Priority] | None = Field(default=None, description="only these priorities")
    detector: list[str] | None = Field(
        default=None, max_length=20, description="only these detector ids, e.g. "
        "tool_failure_hotspot, permission_blocked, delegation_failure, retry_loop")
    agent: str | None = Field(default=None, max_length=200,
                              description="only proposals about this agent (exact name)")
    tool: str | None = Field(default=None, max_length=200,
                             description="only proposals about this tool (exact name)")
    limit: int = Field(default=10, ge=1, le=MAX_LIST_PAGE, description="proposals per page")
    cursor: str | None = Field(default=None, max_length=1000,
                               description="next_cursor from the previous page, to read on")


class ProposalRef(Arguments):
    proposal_id: str = Field(pattern=PROPOSAL_ID_PATTERN,
                             description="the proposal's id, as list_proposals returns it")


class RunAnalysis(Arguments):
    window: str = Window
    dry_run: bool = Field(default=False, description="true: compute and report the findings but "
                          "write no proposals")


class Scorecard(Arguments):
    window: str = Window
    limit: int = Field(default=20, ge=1, le=MAX_SCORE_PAGE, description="rows per page")
    offset: int = Field(default=0, ge=0, le=1000, description="rows to skip (next_offset of the "
                        "previous page)")


class AgentScorecard(Scorecard):
    agent: str | None = Field(default=None, max_length=200, description="only this agent")


class ToolScorecard(Scorecard):
    tool: str | None = Field(default=None, max_length=200, description="only this tool")
    agent: str | None = Field(default=None, max_length=200,
                              description="only tools this agent used")


class DelegationMatrix(Scorecard):
    agent: str | None = Field(default=None, max_length=200,
                              description="only delegations this agent made or received")


class TraceRef(Arguments):
    trace_id: str = Field(pattern=TRACE_ID_PATTERN,
                          description="32 hex characters, e.g. a sample trace id from a "
                          "proposal's evidence")


class Decision(ProposalRef):
    reason: str = Field(min_length=3, max_length=2000,
                        description="why; recorded in the proposal's audit history")


class Snooze(Decision):
    until: datetime | None = Field(default=None, description="when it comes back (ISO 8601; "
                                   "default 7 days from now)")


class Implemented(Decision):
    version: str = Field(default="", max_length=200,
                         description="the agent or prompt version that carries the change")
    shipped_at: datetime | None = Field(default=None, description="when the change shipped, if "
                                        "before now (ISO 8601); verification compares around it")

