"""``gapwatch publish grafana`` against a loopback Grafana that checks every body."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

from gapwatch.analyzer.cli import main
from gapwatch.analyzer.grafana import render_provisioning

_spec = importlib.util.spec_from_file_location(
    "fake_grafana", Path(__file__).with_name("fake_grafana.py"))
assert _spec and _spec.loader
fake_grafana = importlib.util.module_from_spec(_spec)
sys.modules["fake_grafana"] = fake_grafana
_spec.loader.exec_module(fake_grafana)
FakeGrafana = fake_grafana.FakeGrafana

TOKEN = "glsa_test_token"


def publish(url: str, *extra: str) -> int:
    return main(["publish", "grafana", "--url", url, "--token", TOKEN, *extra])


def test_first_publish_creates_everything_when_grafana_is_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FakeGrafana(TOKEN) as grafana:
        assert publish(grafana.url, "--datasource-host", "clickhouse.internal") == 0
        assert set(grafana.folders) == {"gapwatch"}
        assert grafana.datasources["gapwatch-clickhouse"]["jsonData"]["host"] == (
            "clickhouse.internal")
        assert set(grafana.dashboards) == {"gapwatch-overview", "gapwatch-tools",
                                           "gapwatch-delegations", "gapwatch-proposals"}
        assert all(d["meta"]["folderUid"] == "gapwatch" for d in grafana.dashboards.values())
        assert len(grafana.rules) == 5
        assert grafana.groups[("gapwatch", "gapwatch")]["interval"] == 60
        assert all(call.status < 300 for call in grafana.writes()), grafana.writes()
    assert "change(s) published" in capsys.readouterr().out


def test_second_publish_changes_nothing() -> None:
    with FakeGrafana(TOKEN) as grafana:
        assert publish(grafana.url, "--datasource-host", "ch") == 0
        first = len(grafana.writes())
        assert first >= 1 + 1 + 4 + 5 + 1
        assert publish(grafana.url, "--datasource-host", "ch") == 0
        assert len(grafana.writes()) == first, [c.path for c in grafana.writes()[first:]]


def test_changed_threshold_updates_only_the_affected_rule() -> None:
    with FakeGrafana(TOKEN) as grafana:
        assert publish(grafana.url) == 0
        before = len(grafana.writes())
        assert publish(grafana.url, "--error-rate-threshold", "0.5") == 0
        new_writes = grafana.writes()[before:]
        assert [(c.method, c.path) for c in new_writes] == [
            ("PUT", "/api/v1/provisioning/alert-rules/gapwatch-tool-error-rate")]
        threshold = grafana.rules["gapwatch-tool-error-rate"]["data"][2]["model"]
        assert threshold["conditions"][0]["evaluator"]["params"] == [0.5]


def test_publish_fails_loudly_when_token_is_wrong() -> None:
    with FakeGrafana(TOKEN) as grafana:
        with pytest.raises(Exception) as raised:
            main(["publish", "grafana", "--url", grafana.url, "--token", "wrong"])
        assert "401" in repr(raised.value) or "Unauthorized" in type(raised.value).__name__
        assert grafana.writes() == []


def test_fake_rejects_rule_without_required_fields() -> None:
    with FakeGrafana(TOKEN) as grafana:
        with pytest.raises(fake_grafana.BadRequest):
            grafana.route("POST", "/api/v1/provisioning/alert-rules", {"uid": "x", "title": "t"})
        with pytest.raises(fake_grafana.BadRequest):
            grafana.route("POST", "/api/dashboards/db",
                          {"dashboard": {"uid": "d"}, "folderUid": "f", "overwrite": True})


def test_to_dir_writes_the_provisioning_layout(tmp_path: Path) -> None:
    assert main(["publish", "grafana", "--to-dir", str(tmp_path), "--stall-minutes", "5"]) == 0
    expected = render_provisioning()
    for relative in expected:
        assert (tmp_path / relative).is_file()
    alerting = yaml.safe_load(
        (tmp_path / "provisioning/alerting/gapwatch-alerts.yaml").read_text())
    stalled = next(r for r in alerting["groups"][0]["rules"]
                   if r["uid"] == "gapwatch-ingestion-stalled")
    assert stalled["data"][0]["relativeTimeRange"]["from"] == 300
