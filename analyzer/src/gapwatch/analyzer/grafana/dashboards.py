"""The four gapwatch dashboards (Overview, Tools, Delegations, Proposals), generated from code.

    for filename, dashboard in render_dashboards().items():
        (out / filename).write_text(json.dumps(dashboard, indent=2))

``dashboards/json/`` in the repository is exactly this output (a test keeps them equal);
regenerate with ``gapwatch publish grafana --to-dir dashboards``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapwatch.analyzer.grafana.model import (
    TABLE,
    TIME_SERIES,
    Panel,
    Target,
    datasource_variable,
    query_variable,
    render_panels,
    textbox_variable,
    trace_link_override,
    url_link_override,
)

SCHEMA_VERSION = 41  # Grafana 11.6, the plugin's minimum
DEFAULT_DATASOURCE_UID = "gapwatch-clickhouse"
TAG = "gapwatch"


@dataclass(frozen=True)
class DashboardSpec:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    variables: tuple[str, ...]  # which of the shared variables this dashboard offers


def dashboard_specs() -> list[DashboardSpec]:
    """Every dashboard, in the order of the folder listing."""
    return [_overview(), _tools(), _delegations(), _proposals()]


def render_dashboards(datasource_uid: str = DEFAULT_DATASOURCE_UID) -> dict[str, dict[str, Any]]:
    """File name → dashboard JSON model."""
    return {
        f"{spec.uid}.json": render_dashboard(spec, datasource_uid) for spec in dashboard_specs()
    }


def render_dashboard(spec: DashboardSpec, datasource_uid: str) -> dict[str, Any]:
    return {
        "uid": spec.uid,
        "title": spec.title,
        "description": spec.description,
        "tags": [TAG],
        "timezone": "browser",
        "schemaVersion": SCHEMA_VERSION,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"},
        "annotations": {"list": []},
        "links": [
            {
                "title": "gapwatch",
                "type": "dashboards",
                "tags": [TAG],
                "asDropdown": False,
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "templating": {"list": _variables(spec.variables, datasource_uid)},
        "panels": render_panels(list(spec.panels)),
    }


def _variables(names: tuple[str, ...], datasource_uid: str) -> list[dict[str, Any]]:
    available = {
        "service": lambda: query_variable("service", "Service", "variables/service"),
        "agent": lambda: query_variable("agent", "Agent", "variables/agent"),
        "tool": lambda: query_variable("tool", "Tool", "variables/tool"),
        "version": lambda: query_variable("version", "Agent version", "variables/version"),
        "cost_per_mtok": lambda: textbox_variable(
            "cost_per_mtok", "Cost per 1M tokens", "3"
        ),
        "gapwatch_url": lambda: textbox_variable(
            "gapwatch_url", "gapwatch API", "http://127.0.0.1:8080"
        ),
    }
    return [datasource_variable(datasource_uid)] + [available[name]() for name in names]


def _overview() -> DashboardSpec:
    stat = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    return DashboardSpec(
        uid="gapwatch-overview",
        title="gapwatch / Overview",
        description="Agent activity, outcomes, token spend and open proposals.",
        variables=("service", "agent", "version", "cost_per_mtok"),
        panels=(
            Panel("Spans stored", "stat",
                  (Target("panels/overview_spans_total", TABLE, ("spans",)),),
                  width=6, height=4, options=stat),
            Panel("Agent activity", "stat",
                  (Target("panels/overview_totals", TABLE,
                          ("agent_runs", "tool_calls", "error_rate", "tokens")),),
                  width=18, height=4, options=stat),
            Panel("Spans over time", "timeseries",
                  (Target("panels/overview_spans_over_time", TIME_SERIES, ("time", "spans")),)),
            Panel("Agent runs, delegations and tool calls", "timeseries",
                  (Target("panels/overview_activity_over_time", TIME_SERIES,
                          ("time", "agent_runs", "delegations", "tool_calls")),)),
            Panel("Error rate", "timeseries",
                  (Target("panels/overview_error_rate", TIME_SERIES,
                          ("time", "tool_error_rate", "delegation_failure_rate")),),
                  unit="percentunit"),
            Panel("Tool outcome mix", "piechart",
                  (Target("panels/overview_outcome_mix", TABLE, ("outcome", "calls")),),
                  width=6, options={"reduceOptions": {"values": True, "calcs": []},
                                    "pieType": "donut"}),
            Panel("Open proposals by priority", "bargauge",
                  (Target("panels/overview_open_proposals", TABLE, ("priority", "proposals")),),
                  width=6, options={"reduceOptions": {"values": True, "calcs": []}}),
            Panel("Tokens and cost", "timeseries",
                  (Target("panels/overview_tokens_cost", TIME_SERIES,
                          ("time", "input_tokens", "output_tokens", "cost")),),
                  width=24,
                  overrides=({"matcher": {"id": "byName", "options": "cost"},
                              "properties": [{"id": "custom.axisPlacement", "value": "right"},
                                             {"id": "unit", "value": "currencyUSD"}]},)),
        ),
    )


def _tools() -> DashboardSpec:
    return DashboardSpec(
        uid="gapwatch-tools",
        title="gapwatch / Tools",
        description="Per-tool calls, errors, latency, timeouts against input size, top errors.",
        variables=("service", "agent", "tool", "version"),
        panels=(
            Panel("Tool scorecard", "table",
                  (Target("panels/tools_scorecard", TABLE,
                          ("agent", "tool", "calls", "error_rate", "p50_ms", "p95_ms",
                           "timeouts", "blocked", "soft_errors", "TraceId")),),
                  width=24, height=9, overrides=(trace_link_override(),)),
            Panel("Error rate per tool", "timeseries",
                  (Target("panels/tools_error_rate_over_time", TIME_SERIES,
                          ("time", "tool", "error_rate")),),
                  unit="percentunit"),
            Panel("Outcomes per tool", "barchart",
                  (Target("panels/tools_outcomes", TABLE,
                          ("tool", "ok", "error", "soft_error", "blocked", "timeout")),),
                  options={"stacking": "normal", "xField": "tool"}),
            Panel("Latency p50 / p95 (hourly)", "timeseries",
                  (Target("panels/tools_latency_hourly", TIME_SERIES,
                          ("time", "tool", "p50_ms", "p95_ms")),),
                  unit="ms"),
            Panel("Timeouts vs input size", "barchart",
                  (Target("panels/tools_timeouts_by_input_size", TABLE,
                          ("size_bucket", "calls", "timeouts", "timeout_rate")),),
                  options={"xField": "size_bucket"}),
            Panel("Top error fingerprints", "table",
                  (Target("panels/tools_top_errors", TABLE,
                          ("tool", "outcome", "error_type", "error_fingerprint", "calls",
                           "sessions", "last_seen", "TraceId")),),
                  width=24, height=9, overrides=(trace_link_override(),)),
        ),
    )


def _delegations() -> DashboardSpec:
    return DashboardSpec(
        uid="gapwatch-delegations",
        title="gapwatch / Delegations",
        description="Who delegates to whom, how often it works, and which task classes fail.",
        variables=("service", "agent", "version"),
        panels=(
            Panel("Delegation graph", "nodeGraph",
                  (Target("panels/delegations_graph_nodes", TABLE,
                          ("id", "title", "mainstat", "secondarystat", "arc__ok",
                           "arc__failed"), ref_id="nodes"),
                   Target("panels/delegations_graph_edges", TABLE,
                          ("id", "source", "target", "mainstat", "secondarystat"),
                          ref_id="edges")),
                  width=12, height=10),
            Panel("Caller → callee matrix", "table",
                  (Target("panels/delegations_matrix", TABLE,
                          ("caller_agent", "target_agent", "delegations", "success_rate",
                           "p50_ms", "p95_ms", "TraceId")),),
                  width=12, height=10, overrides=(trace_link_override(),)),
            Panel("Delegations over time", "timeseries",
                  (Target("panels/delegations_over_time", TIME_SERIES, ("time", "ok", "failed")),),
                  options={"legend": {"displayMode": "list", "placement": "bottom"}}),
            Panel("Failing task categories", "table",
                  (Target("panels/delegations_failing_categories", TABLE,
                          ("delegation_category", "target_agent", "delegations", "failures",
                           "failure_rate", "top_error", "TraceId")),),
                  overrides=(trace_link_override(),)),
        ),
    )


def _proposals() -> DashboardSpec:
    return DashboardSpec(
        uid="gapwatch-proposals",
        title="gapwatch / Proposals",
        description="Improvement proposals: lifecycle over time, the list with evidence, "
        "and before/after of what was implemented.",
        variables=("service", "agent", "tool", "gapwatch_url"),
        panels=(
            Panel("Proposals by status", "stat",
                  (Target("panels/proposals_by_status", TABLE, ("status", "proposals")),),
                  width=8, options={"reduceOptions": {"values": True, "calcs": []},
                                    "textMode": "value_and_name"}),
            Panel("Lifecycle over time", "timeseries",
                  (Target("panels/proposals_transitions_over_time", TIME_SERIES,
                          ("time", "opened", "approved", "implemented", "verified",
                           "regressed")),),
                  width=16, custom={"drawStyle": "bars"}),
            Panel("Proposals", "table",
                  (Target("panels/proposals_list", TABLE,
                          ("id", "priority", "status", "detector", "title", "agent", "tool",
                           "evidence_count", "confidence", "updated_at", "TraceId")),),
                  width=24, height=10,
                  overrides=(trace_link_override(),
                             url_link_override("id", "Evidence (API)",
                                               "${gapwatch_url}/api/v1/proposals/"
                                               "${__value.raw}"))),
            Panel("Before / after of implemented proposals", "table",
                  (Target("panels/proposals_before_after", TABLE,
                          ("id", "title", "status", "implemented_version", "metric", "before",
                           "after", "change", "implemented_at")),),
                  width=24, height=8),
        ),
    )
