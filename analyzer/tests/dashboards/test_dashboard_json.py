"""Structural checks of the generated dashboards and alert rules, and of the shipped files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gapwatch.analyzer.grafana import (
    alert_rule_payloads,
    render_alert_provisioning,
    render_dashboards,
    render_provisioning,
)
from gapwatch.analyzer.grafana.model import PLUGIN_TYPE

REPO = Path(__file__).resolve().parents[3]
BUILTINS = {"__value", "__all", "__data", "__field", "__series", "__from", "__to"}
VARIABLE = re.compile(r"\$\{(\w+)(?:[.:][\w.]+)?\}|\$(\w+)")
DASHBOARDS = render_dashboards()


def variables_used(text: str) -> set[str]:
    names = {m.group(1) or m.group(2) for m in VARIABLE.finditer(text)}
    return {name for name in names if not name.startswith("__")}


def overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return not (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"])


@pytest.mark.parametrize("filename", sorted(DASHBOARDS))
def test_dashboard_is_structurally_valid(filename: str) -> None:
    dashboard = DASHBOARDS[filename]
    assert dashboard["schemaVersion"] >= 39 and dashboard["uid"] == filename[:-5]
    assert "id" not in dashboard
    panels = dashboard["panels"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for index, panel in enumerate(panels):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        for other in panels[index + 1 :]:
            assert not overlaps(grid, other["gridPos"]), (panel["title"], other["title"])
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids))


@pytest.mark.parametrize("filename", sorted(DASHBOARDS))
def test_datasource_references_resolve(filename: str) -> None:
    dashboard = DASHBOARDS[filename]
    templating = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert templating["datasource"]["type"] == "datasource"
    assert templating["datasource"]["query"] == PLUGIN_TYPE
    refs: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        refs.append(panel["datasource"])
        refs.extend(target["datasource"] for target in panel["targets"])
    refs.extend(v["datasource"] for v in templating.values() if v["type"] == "query")
    for ref in refs:
        assert ref == {"type": PLUGIN_TYPE, "uid": "${datasource}"}
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert target["editorType"] == "sql" and target["format"] in (0, 1)
            assert target["queryType"] == {0: "timeseries", 1: "table"}[target["format"]]


@pytest.mark.parametrize("filename", sorted(DASHBOARDS))
def test_every_variable_used_is_defined(filename: str) -> None:
    dashboard = DASHBOARDS[filename]
    defined = {v["name"] for v in dashboard["templating"]["list"]}
    text = json.dumps(dashboard["panels"]) + json.dumps(
        [v.get("query", "") for v in dashboard["templating"]["list"]])
    used = variables_used(text)
    assert used <= defined, f"undefined: {used - defined}"
    assert {"service", "agent"} <= defined
    assert used >= defined - {"datasource"}, f"defined but unused: {defined - used}"


def test_tables_with_trace_ids_link_to_the_trace_view() -> None:
    linked = 0
    for dashboard in DASHBOARDS.values():
        for panel in dashboard["panels"]:
            columns = [c for t in panel["targets"] for c in re.findall(r"AS (\w+)", t["rawSql"])]
            if "TraceId" not in columns:
                continue
            links = [prop["value"][0]["url"] for override in panel["fieldConfig"]["overrides"]
                     if override["matcher"]["options"] == "TraceId"
                     for prop in override["properties"] if prop["id"] == "links"]
            assert links and links[0].startswith("/explore?"), panel["title"]
            assert "${__value.raw:percentencode}" in links[0] and "${datasource}" in links[0]
            linked += 1
    assert linked >= 5


def test_alert_rules_meet_grafana_requirements() -> None:
    document = render_alert_provisioning()
    group = document["groups"][0]
    assert document["apiVersion"] == 1 and group["folder"] and group["interval"] == "60s"
    uids = set()
    for rule in group["rules"]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", rule["uid"]) and rule["uid"] not in uids
        uids.add(rule["uid"])
        refs = {node["refId"] for node in rule["data"]}
        assert rule["condition"] in refs
        for node in rule["data"]:
            span = node["relativeTimeRange"]
            if node["datasourceUid"] != "__expr__":
                assert span["from"] > span["to"] >= 0, "datasource queries need a real range"
                assert "$__timeFilter" in node["model"]["rawSql"]
            else:
                assert node["model"]["expression"] in refs
        # outside `model` Grafana interpolates env vars: only `$$` may appear there
        outside = json.dumps({k: v for k, v in rule.items() if k != "data"})
        assert re.search(r"(?<!\$)\$(?!\$)", outside) is None
    assert len(uids) == 5


def test_api_payloads_carry_required_fields() -> None:
    for payload in alert_rule_payloads(None, "ds-1", "folder-1"):
        assert payload["folderUID"] == "folder-1" and payload["ruleGroup"] == "gapwatch"
        assert payload["data"][0]["datasourceUid"] == "ds-1"
        assert "{{ $labels" in json.dumps(payload["annotations"]) or "$" not in json.dumps(
            payload["annotations"])


def test_shipped_dashboards_equal_the_generator_output() -> None:
    for relative, content in render_provisioning().items():
        shipped = REPO / "dashboards" / relative
        assert shipped.is_file(), f"missing {shipped}; run gapwatch publish grafana --to-dir"
        assert shipped.read_text(encoding="utf-8") == content, (
            f"{relative} differs from the generator: run "
            "`gapwatch publish grafana --to-dir dashboards`")


def test_provisioning_yaml_parses() -> None:
    for relative, content in render_provisioning().items():
        if relative.endswith(".yaml"):
            assert yaml.safe_load(content)["apiVersion"] == 1
