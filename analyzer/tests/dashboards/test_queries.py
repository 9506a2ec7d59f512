"""Every panel, variable and alert query, expanded like the plugin does, runs on seeded chDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.grafana import alert_rules, dashboard_specs, expand_query
from gapwatch.analyzer.grafana.macros import ALL, QueryContext
from gapwatch.analyzer.grafana.model import TIME_SERIES, Target
from gapwatch.analyzer.grafana.queries import load_query, query_names

NOW = datetime.now(UTC)
WEEK_AGO = NOW - timedelta(days=7)
VARIABLES = ("service", "agent", "tool", "version")
TARGETS = [
    pytest.param(spec.uid, panel.title, target, id=f"{spec.uid}:{target.query}")
    for spec in dashboard_specs()
    for panel in spec.panels
    for target in panel.targets
]


def all_values(client: Client) -> dict[str, list[str]]:
    context = context_for({name: [ALL] for name in VARIABLES}, {})
    return {
        name: [row[0] for row in client.query(
            expand_query(load_query(f"variables/{name}"), context)).result_rows]
        for name in VARIABLES
    }


def context_for(
    selected: dict[str, list[str]], values: dict[str, list[str]], interval_s: int = 3600
) -> QueryContext:
    variables = {name: [ALL] for name in VARIABLES}
    variables.update(selected)
    variables["cost_per_mtok"] = ["3"]
    variables["gapwatch_url"] = ["http://127.0.0.1:8080"]
    return QueryContext(time_from=WEEK_AGO, time_to=NOW, interval_s=interval_s,
                        variables=variables, all_values=values)


def run(client: Client, target: Target, context: QueryContext) -> tuple[list[str], list[Any]]:
    result = client.query(expand_query(load_query(target.query), context))
    return list(result.column_names), list(result.result_rows)


def assert_shape(target: Target, columns: list[str], rows: list[Any]) -> None:
    assert columns == list(target.columns)
    assert rows, f"{target.query} returned no rows on the seeded fleet"
    if target.format == TIME_SERIES:
        times = [row[0] for row in rows]
        assert all(isinstance(t, datetime) for t in times)
        assert times == sorted(times), "time series must be ordered by time"
        for row in rows:
            numeric = [value for value in row[1:] if not isinstance(value, str)]
            assert numeric and all(isinstance(v, int | float) for v in numeric)


def test_variable_queries_list_the_fleet_when_all_selected(seeded: Client) -> None:
    values = all_values(seeded)
    assert values["service"] == ["fleet-orchestrator", "support-bot"]
    assert {"planner", "coder", "researcher", "reviewer", "summarizer", "triage"} <= set(
        values["agent"])
    assert "lsp_find_references" in values["tool"]
    assert {"1.9.0", "2.0.0"} <= set(values["version"])


def test_dependent_variable_narrows_when_service_selected(seeded: Client) -> None:
    context = context_for({"service": ["support-bot"]}, all_values(seeded))
    rows = seeded.query(expand_query(load_query("variables/agent"), context)).result_rows
    assert [row[0] for row in rows] == ["triage"]


@pytest.mark.parametrize(("dashboard", "title", "target"), TARGETS)
def test_panel_query_returns_expected_shape_when_all_selected(
    seeded: Client, dashboard: str, title: str, target: Target
) -> None:
    columns, rows = run(seeded, target, context_for({}, all_values(seeded)))
    assert_shape(target, columns, rows)


@pytest.mark.parametrize(("dashboard", "title", "target"), TARGETS)
def test_panel_query_honours_multi_value_selection(
    seeded: Client, dashboard: str, title: str, target: Target
) -> None:
    selected = {
        "service": ["fleet-orchestrator"],
        "agent": ["coder", "planner", "reviewer"],
        "tool": ["lsp_find_references", "post_review_comment"],
        "version": ["0.8.2", "1.4.0", "2.0.0"],
    }
    columns, rows = run(seeded, target, context_for(selected, all_values(seeded), 1800))
    assert columns == list(target.columns)
    for row in rows:
        record = dict(zip(columns, row, strict=True))
        if "tool" in record and target.query.startswith("panels/tools"):
            assert record["tool"] in selected["tool"]
        if "agent" in record and target.query.startswith("panels/tools"):
            assert record["agent"] in selected["agent"]


def test_timeouts_panel_shows_rate_growing_with_input_size(seeded: Client) -> None:
    target = Target("panels/tools_timeouts_by_input_size", 1,
                    ("size_bucket", "calls", "timeouts", "timeout_rate"))
    _, rows = run(seeded, target, context_for({"tool": ["lsp_find_references"]},
                                              all_values(seeded)))
    small = [rate for bucket, _, _, rate in rows if int(bucket.split("-")[0]) < 4096]
    large = [rate for bucket, _, _, rate in rows if int(bucket.split("-")[0]) >= 8192]
    assert small and large
    assert max(small) == 0 and min(large) > 0.5


def test_trace_view_query_returns_the_trace_frame_contract(seeded: Client) -> None:
    target = Target("panels/tools_top_errors", 1, ())
    columns, rows = run(seeded, target, context_for({}, all_values(seeded)))
    trace_id = dict(zip(columns, rows[0], strict=True))["TraceId"]
    context = QueryContext(time_from=WEEK_AGO, time_to=NOW, variables={"trace_id": [trace_id]})
    result = seeded.query(expand_query(load_query("panels/trace_view"), context))
    assert result.column_names == ("traceID", "spanID", "parentSpanID", "serviceName",
                                   "operationName", "startTime", "duration", "tags",
                                   "serviceTags", "statusCode")
    spans = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    assert {span["traceID"] for span in spans} == {trace_id}
    assert sum(1 for span in spans if span["parentSpanID"] == "") == 1
    assert any(span["statusCode"] == 2 for span in spans)
    assert any({"key": "gen_ai.tool.name"}.items() <= tag.items()
               for span in spans for tag in span["tags"])


def evaluate_alert(client: Client, uid: str, now: datetime) -> list[tuple[Any, ...]]:
    """Rows of query A over the rule's relative range, for the threshold check."""
    rule = next(rule for rule in alert_rules() if rule.uid == uid)
    context = QueryContext(time_from=now - timedelta(seconds=rule.window_s), time_to=now)
    result = client.query(expand_query(load_query(rule.query), context))
    if result.result_rows:  # chDB reports no column names for an empty result
        assert list(result.column_names) == list(rule.columns)
    return list(result.result_rows)


def firing(uid: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    rule = next(rule for rule in alert_rules() if rule.uid == uid)
    compare = (lambda v: v > rule.threshold) if rule.evaluator == "gt" else (
        lambda v: v < rule.threshold)
    return [row for row in rows if compare(row[-1])]


def test_every_alert_query_runs_and_returns_numeric_series(seeded: Client) -> None:
    for name in query_names("alerts"):
        assert any(rule.query == name for rule in alert_rules()), f"{name} unused"
    for rule in alert_rules():
        rows = evaluate_alert(seeded, rule.uid, NOW)
        for row in rows:
            assert isinstance(row[-1], int | float)
            assert all(isinstance(label, str) for label in row[:-1])


def test_tool_error_rate_alert_fires_for_failing_tool_only(seeded: Client) -> None:
    rule = next(rule for rule in alert_rules() if rule.uid == "gapwatch-tool-error-rate")
    context = QueryContext(time_from=WEEK_AGO, time_to=NOW)  # wide range: enough calls per tool
    rows = seeded.query(expand_query(load_query(rule.query), context)).result_rows
    fired = {row[1] for row in firing(rule.uid, rows)}
    assert "fetch_page" in fired
    assert "lookup_ticket" not in fired and "read_diff" not in fired


def test_ingestion_stalled_alert_fires_only_without_recent_spans(seeded: Client) -> None:
    latest = seeded.query("SELECT max(Timestamp) FROM otel_traces").result_rows[0][0]
    latest = latest.replace(tzinfo=UTC) if latest.tzinfo is None else latest
    assert firing("gapwatch-ingestion-stalled",
                  evaluate_alert(seeded, "gapwatch-ingestion-stalled", latest)) == []
    later = latest + timedelta(hours=2)
    assert firing("gapwatch-ingestion-stalled",
                  evaluate_alert(seeded, "gapwatch-ingestion-stalled", later)) != []


def test_proposal_alerts_fire_on_seeded_lifecycle(seeded: Client) -> None:
    rows = evaluate_alert(seeded, "gapwatch-regressed", NOW + timedelta(minutes=1))
    assert rows == [(0,)]  # the regression was recorded 29 hours ago, outside 15 minutes
    rule_window = QueryContext(time_from=NOW - timedelta(days=2), time_to=NOW)
    sql = load_query("alerts/regressed_verification")
    assert seeded.query(expand_query(sql, rule_window)).result_rows == [(1,)]
    sql = load_query("alerts/new_high_priority_proposal")
    assert seeded.query(expand_query(sql, rule_window)).result_rows == [(1,)]
