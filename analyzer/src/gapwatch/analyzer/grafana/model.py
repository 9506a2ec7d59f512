"""Building blocks of generated dashboards: targets, panels, variables, grid layout, links.

    panel = Panel("Tool scorecard", "table", (Target("panels/tools_scorecard", TABLE, cols),))
    rendered = render_panels([panel, ...])   # ids and gridPos assigned, no overlaps

Each ``Target`` names its SQL file and the columns the panel expects, so the same object
renders the dashboard JSON and drives the test that runs the query on chDB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gapwatch.analyzer.grafana.queries import load_query

PLUGIN_TYPE = "grafana-clickhouse-datasource"
PLUGIN_VERSION = "4.20.0"
DATASOURCE_VARIABLE = "${datasource}"
GRID_WIDTH = 24

# sqlds formats used by the plugin
TIME_SERIES = 0
TABLE = 1
TRACES = 3
_QUERY_TYPES = {TIME_SERIES: "timeseries", TABLE: "table", TRACES: "traces"}


@dataclass(frozen=True)
class Target:
    """One query of a panel: its SQL file, sqlds format and the columns it must return."""

    query: str
    format: int
    columns: tuple[str, ...]
    ref_id: str = "A"

    def render(self) -> dict[str, Any]:
        return {
            "refId": self.ref_id,
            "datasource": datasource_ref(),
            "editorType": "sql",
            "format": self.format,
            "queryType": _QUERY_TYPES[self.format],
            "rawSql": load_query(self.query),
            "pluginVersion": PLUGIN_VERSION,
        }


@dataclass(frozen=True)
class Panel:
    """A panel before layout; ``width``/``height`` in grid units."""

    title: str
    type: str
    targets: tuple[Target, ...]
    width: int = 12
    height: int = 8
    description: str = ""
    unit: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    overrides: tuple[dict[str, Any], ...] = ()
    custom: dict[str, Any] = field(default_factory=dict)


def datasource_ref() -> dict[str, str]:
    return {"type": PLUGIN_TYPE, "uid": DATASOURCE_VARIABLE}


def render_panels(panels: list[Panel]) -> list[dict[str, Any]]:
    """Give each panel an id and a grid position, packing rows left to right."""
    rendered: list[dict[str, Any]] = []
    x = y = row_height = 0
    for panel_id, panel in enumerate(panels, start=1):
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        rendered.append(_render_panel(panel, panel_id, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return rendered


def query_variable(name: str, label: str, query: str) -> dict[str, Any]:
    """A multi-value ClickHouse query variable with "All" (refreshed on time-range change)."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": datasource_ref(),
        "query": load_query(query),
        "definition": load_query(query),
        "refresh": 2,
        "multi": True,
        "includeAll": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "sort": 1,
        "hide": 0,
    }


def datasource_variable(default_uid: str) -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "ClickHouse",
        "type": "datasource",
        "query": PLUGIN_TYPE,
        "current": {"selected": False, "text": default_uid, "value": default_uid},
        "options": [],
        "refresh": 1,
        "regex": "",
        "hide": 0,
    }


def textbox_variable(name: str, label: str, default: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "textbox",
        "query": default,
        "current": {"selected": False, "text": default, "value": default},
        "options": [{"selected": True, "text": default, "value": default}],
        "hide": 0,
    }


def trace_link_override(column: str = "TraceId") -> dict[str, Any]:
    """A data link on ``column`` that opens the trace in Explore's trace view.

    The plugin adds its own "View trace" link to frames with a trace-id column when the
    datasource has OTel trace defaults; this explicit link works without them, using the same
    trace query as ``panels/trace_view.sql``.
    """
    trace_sql = load_query("panels/trace_view").replace(
        "${trace_id:percentencode}", "${__value.raw:percentencode}")
    pane = {
        "datasource": DATASOURCE_VARIABLE,
        "queries": [
            {
                "refId": "A",
                "datasource": datasource_ref(),
                "editorType": "sql",
                "queryType": "traces",
                "format": TRACES,
                "rawSql": trace_sql,
            }
        ],
        "range": {"from": "now-30d", "to": "now"},
    }
    url = "/explore?schemaVersion=1&panes=" + _encode_keeping_variables(json.dumps({"trace": pane}))
    return {
        "matcher": {"id": "byName", "options": column},
        "properties": [{"id": "links", "value": [{"title": "Open trace", "url": url}]}],
    }


def url_link_override(column: str, title: str, url: str) -> dict[str, Any]:
    return {
        "matcher": {"id": "byName", "options": column},
        "properties": [{"id": "links", "value": [{"title": title, "url": url}]}],
    }


def _render_panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    defaults: dict[str, Any] = {"custom": dict(panel.custom)}
    if panel.unit:
        defaults["unit"] = panel.unit
    return {
        "id": panel_id,
        "type": panel.type,
        "title": panel.title,
        "description": panel.description,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "datasource": datasource_ref(),
        "targets": [target.render() for target in panel.targets],
        "fieldConfig": {"defaults": defaults, "overrides": list(panel.overrides)},
        "options": dict(panel.options),
    }


def _encode_keeping_variables(text: str) -> str:
    """Percent-encode ``text`` but leave ``${...}`` untouched so Grafana can interpolate them."""
    out: list[str] = []
    position = 0
    while (start := text.find("${", position)) != -1:
        end = text.index("}", start)
        out.append(quote(text[position:start], safe=""))
        out.append(text[start : end + 1])
        position = end + 1
    out.append(quote(text[position:], safe=""))
    return "".join(out)
