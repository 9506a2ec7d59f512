"""No dashboard variable reaches ClickHouse as raw SQL: each is quoted by Grafana, or encoded so
that no value can close the string it sits in."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from clickhouse_connect.driver.client import Client

from gapwatch.analyzer.grafana import expand_query, render_dashboards
from gapwatch.analyzer.grafana.macros import ALL, QueryContext, expand_conditional_all
from gapwatch.analyzer.grafana.queries import load_query, query_names

REFERENCE = re.compile(r"\$\{(\w+)(?:[.:]([\w.:]+))?\}|\$(\w+)")
# percentencode leaves only [A-Za-z0-9-_.~%], none of which can end a quoted literal
ENCODED_LITERAL = re.compile(r"decodeURLComponent\('\$\{(\w+(?:\.raw)?):percentencode\}'\)")
HOSTILE = [
    "0') + 1e9 + toFloat64OrZero('0",
    "\\' OR 1=1) --",
    "x' OR '1'='1",
    "'; DROP TABLE otel_traces; --",
]


def cost_rows(client: Client, cost_per_mtok: str) -> list[tuple[float, ...]]:
    """(input_tokens, output_tokens, cost) per bucket of the token-cost panel, fleet-wide."""
    now = datetime.now(UTC)
    context = QueryContext(now - timedelta(days=7), now, interval_s=3600, variables={
        "service": [ALL], "agent": [ALL], "version": [ALL], "cost_per_mtok": [cost_per_mtok]})
    result = client.query(expand_query(load_query("panels/overview_tokens_cost"), context))
    assert list(result.column_names) == ["time", "input_tokens", "output_tokens", "cost"]
    return [tuple(row[1:]) for row in result.result_rows]


def unsafe_references(sql: str) -> list[str]:
    """Every variable reference in ``sql`` that pastes a value into SQL unquoted."""
    # $__conditionalAll(cond, $var) only tests $var for "All"; expand it as Grafana does, with
    # every variable set, so what remains is exactly the text that reaches ClickHouse
    names = {m.group(1) or m.group(3) for m in REFERENCE.finditer(sql)}
    now = datetime.now(UTC)
    sql = expand_conditional_all(
        sql, QueryContext(now, now, variables={name: ["x"] for name in names}))
    unsafe = []
    for match in REFERENCE.finditer(sql):
        if match.group(3) and match.group(3).startswith("__"):
            continue  # a macro ($__timeFilter(...)) or a built-in ($__interval_s)
        if (match.group(2) or "").endswith("singlequote"):
            continue
        if ENCODED_LITERAL.match(sql, max(match.start() - len("decodeURLComponent('"), 0)):
            continue
        unsafe.append(match.group(0))
    return unsafe


def panel_sql() -> list[tuple[str, str]]:
    """(where, SQL) for every query a dashboard sends: targets, variables, trace links."""
    found = [(name, load_query(name)) for kind in ("panels", "variables", "alerts")
             for name in query_names(kind)]
    for filename, dashboard in render_dashboards().items():
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                found.append((f"{filename}:{panel['title']}", target["rawSql"]))
            for override in panel["fieldConfig"]["overrides"]:
                for prop in override["properties"]:
                    for link in prop["value"] if prop["id"] == "links" else ():
                        if "/explore?" in link["url"]:
                            panes = json.loads(unquote(link["url"].split("panes=", 1)[1]))
                            for pane in panes.values():
                                for query in pane["queries"]:
                                    found.append((f"{filename}:{panel['title']} link",
                                                  query["rawSql"]))
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                found.append((f"{filename}:${variable['name']}", variable["query"]))
    return found


def test_every_variable_in_every_dashboard_query_is_quoted() -> None:
    queries = panel_sql()
    assert len(queries) > 40
    unsafe = {where: refs for where, sql in queries if (refs := unsafe_references(sql))}
    assert unsafe == {}


def test_the_quoting_check_catches_a_raw_variable() -> None:
    assert unsafe_references("WHERE TraceId = '${trace_id}'") == ["${trace_id}"]
    assert unsafe_references("x * toFloat64OrZero('${cost:raw}')") == ["${cost:raw}"]
    assert unsafe_references("x IN (${tool:csv})") == ["${tool:csv}"]
    assert unsafe_references("x = '${id:percentencode}'") == ["${id:percentencode}"]
    assert unsafe_references("WHERE $tool = 1") == ["$tool"]
    assert unsafe_references("$__conditionalAll(tool = '${tool}', $tool)") == ["${tool}"]
    assert unsafe_references(
        "$__timeFilter(t) AND $__conditionalAll(tool IN (${tool:singlequote}), $tool) "
        "AND decodeURLComponent('${cost:percentencode}')") == []


@pytest.mark.parametrize("value", HOSTILE)
def test_cost_box_cannot_inject_sql_when_given_hostile_text(seeded: Client, value: str) -> None:
    rows = cost_rows(seeded, value)
    assert rows and all(cost == 0 for *_, cost in rows), "the text must not run as SQL"


def test_cost_box_still_prices_tokens_when_given_a_number(seeded: Client) -> None:
    rows = cost_rows(seeded, "2.5")
    assert any(cost > 0 for *_, cost in rows)
    for tokens_in, tokens_out, cost in rows:
        assert cost == pytest.approx((tokens_in + tokens_out) / 1e6 * 2.5)


@pytest.mark.parametrize("value", HOSTILE)
def test_trace_view_cannot_inject_sql_when_given_a_hostile_trace_id(
    seeded: Client, value: str
) -> None:
    now = datetime.now(UTC)
    context = QueryContext(now - timedelta(days=7), now, variables={"trace_id": [value]})
    result = seeded.query(expand_query(load_query("panels/trace_view"), context))
    assert result.result_rows == []
