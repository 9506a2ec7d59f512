"""``/api/v1/traces/{trace_id}``: one trace's spans from ``otel_traces`` with the model's reading.

    GET /api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736?limit=500

Each span carries what the model made of it (``kind``: agent, delegation, tool, llm or ``''``
for structural spans; the owning ``agent``; ``tool``; ``outcome``), so evidence can be followed
to its spans without Grafana. The UI's trace view and the MCP server read this shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from gapwatch.analyzer.auth import require_reader
from gapwatch.analyzer.errors import TraceNotFound
from gapwatch.analyzer.routes import API_PREFIX
from gapwatch.analyzer.routes.context import Services, get_services
from gapwatch.analyzer.routes.problems import problem_responses
from gapwatch.analyzer.routes.schemas import Trace
from gapwatch.analyzer.store import Store

SQL_PACKAGE = "gapwatch.analyzer.routes"
DEFAULT_SPANS = 2000
MAX_SPANS = 10_000
TRACE_ID_PATTERN = r"^[0-9a-fA-F]{32}$"

router = APIRouter(prefix=f"{API_PREFIX}/traces", tags=["traces"],
                   dependencies=[Depends(require_reader)],
                   responses=problem_responses(401, 403, 404, 422, 503))
ServicesDep = Annotated[Services, Depends(get_services)]


@router.get("/{trace_id}", response_model=Trace)
def get_trace(
    services: ServicesDep,
    trace_id: Annotated[str, Path(pattern=TRACE_ID_PATTERN, description="32 hex characters")],
    limit: Annotated[int, Query(ge=1, le=MAX_SPANS, description="most spans returned")] = (
        DEFAULT_SPANS
    ),
) -> dict[str, Any]:
    """The trace's spans, oldest first; ``truncated`` says the trace has more than ``limit``."""
    return read_trace(services.store, trace_id, limit)


def read_trace(store: Store, trace_id: str, limit: int = DEFAULT_SPANS) -> dict[str, Any]:
    """One trace as the API returns it; raises :class:`TraceNotFound` when no span is stored."""
    trace_id = trace_id.lower()  # the exporter stores lowercase hex
    rows = store.select(SQL_PACKAGE, "trace_spans", {"trace_id": trace_id, "limit": limit + 1})
    if not rows:
        raise TraceNotFound(f"no spans stored for trace {trace_id}")
    return {
        "trace_id": trace_id,
        "spans": [_span(row) for row in rows[:limit]],
        "truncated": len(rows) > limit,
    }


def _span(row: dict[str, Any]) -> dict[str, Any]:
    events = [
        {"name": name, "time": _utc(at), "attributes": dict(attributes)}
        for name, at, attributes in zip(
            row.pop("event_names"), row.pop("event_times"), row.pop("event_attributes"),
            strict=True,
        )
    ]
    return {**row, "start": _utc(row["start"]), "attributes": dict(row["attributes"]),
            "events": events}


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
