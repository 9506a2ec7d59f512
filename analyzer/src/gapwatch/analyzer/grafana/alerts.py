"""gapwatch's Grafana-managed alert rules, as file provisioning and as HTTP API payloads.

    options = AlertOptions(tool_error_rate=0.25, token_budget=5_000_000)
    yaml_doc = render_alert_provisioning(options, datasource_uid="gapwatch-clickhouse")
    payloads = alert_rule_payloads(options, "gapwatch-clickhouse", folder_uid="gapwatch")

Each rule is a ClickHouse query ``A`` (table format, one numeric value per series) reduced by
``B`` and compared by the threshold ``C``, the shape the plugin's alerting docs recommend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gapwatch.analyzer.grafana.model import PLUGIN_TYPE, TABLE
from gapwatch.analyzer.grafana.queries import load_query

RULE_GROUP = "gapwatch"
FOLDER_TITLE = "gapwatch"
FOLDER_UID = "gapwatch"
EXPRESSION_UID = "__expr__"


@dataclass(frozen=True)
class AlertOptions:
    """Thresholds; every one can be changed at publish/export time."""

    tool_error_rate: float = 0.2  # fraction of a tool's calls (≥ 20 calls) not ending ok
    error_rate_window_s: int = 3600
    stall_minutes: int = 10  # no span at all for this long means ingestion stalled
    token_budget: int = 2_000_000  # tokens per service per budget window
    token_budget_window_s: int = 86_400
    proposal_window_s: int = 900  # lookback for new proposals / regressions (> eval interval)
    interval_s: int = 60


@dataclass(frozen=True)
class AlertRule:
    uid: str
    title: str
    query: str  # SQL file under sql/
    columns: tuple[str, ...]  # labels first, the numeric value last
    window_s: int
    evaluator: str  # gt | lt
    threshold: float
    summary: str
    severity: str
    pending: str = "0s"
    no_data_state: str = "OK"
    dashboard_uid: str = ""
    panel_id: int = 0


def alert_rules(options: AlertOptions | None = None) -> list[AlertRule]:
    """The five rules of issue 5, with the thresholds of ``options``."""
    o = options or AlertOptions()
    return [
        AlertRule(
            "gapwatch-tool-error-rate", "Tool error rate above threshold",
            "alerts/tool_error_rate", ("agent", "tool", "error_rate"), o.error_rate_window_s,
            "gt", o.tool_error_rate,
            "{{ $labels.agent }}/{{ $labels.tool }} fails more than "
            f"{o.tool_error_rate:.0%} of its calls",
            "warning", pending="5m", dashboard_uid="gapwatch-tools", panel_id=1,
        ),
        AlertRule(
            "gapwatch-new-high-priority", "New high-priority proposal",
            "alerts/new_high_priority_proposal", ("proposals",), o.proposal_window_s,
            "gt", 0, "gapwatch opened a high-priority improvement proposal", "warning",
            dashboard_uid="gapwatch-proposals", panel_id=3,
        ),
        AlertRule(
            "gapwatch-regressed", "Verification regressed",
            "alerts/regressed_verification", ("regressions",), o.proposal_window_s,
            "gt", 0, "an implemented proposal made its metric worse (verification: regressed)",
            "critical", dashboard_uid="gapwatch-proposals", panel_id=4,
        ),
        AlertRule(
            "gapwatch-ingestion-stalled", "Ingestion stalled",
            "alerts/ingestion_stalled", ("spans",), o.stall_minutes * 60,
            "lt", 1, f"no spans stored for {o.stall_minutes} minutes", "critical",
            no_data_state="Alerting", dashboard_uid="gapwatch-overview", panel_id=3,
        ),
        AlertRule(
            "gapwatch-token-budget", "Token spend above budget",
            "alerts/token_budget", ("service", "tokens"), o.token_budget_window_s,
            "gt", o.token_budget,
            "{{ $labels.service }} spent more than "
            f"{o.token_budget} tokens in {o.token_budget_window_s // 3600} h",
            "warning", dashboard_uid="gapwatch-overview", panel_id=8,
        ),
    ]


def render_alert_provisioning(
    options: AlertOptions | None = None, datasource_uid: str = "gapwatch-clickhouse"
) -> dict[str, Any]:
    """The ``provisioning/alerting/*.yaml`` document (format v1)."""
    o = options or AlertOptions()
    rules = []
    for rule in alert_rules(o):
        body = _common(rule, datasource_uid)
        body["noDataState"] = rule.no_data_state
        # Grafana env-interpolates provisioning files outside `model`: `$$` keeps a literal `$`
        body["annotations"] = {
            key: value.replace("$", "$$") for key, value in body["annotations"].items()
        }
        rules.append(body)
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": RULE_GROUP,
                "folder": FOLDER_TITLE,
                "interval": f"{o.interval_s}s",
                "rules": rules,
            }
        ],
    }


def alert_rule_payloads(
    options: AlertOptions | None, datasource_uid: str, folder_uid: str = FOLDER_UID
) -> list[dict[str, Any]]:
    """``ProvisionedAlertRule`` bodies for ``POST/PUT /api/v1/provisioning/alert-rules``."""
    payloads = []
    for rule in alert_rules(options):
        body = _common(rule, datasource_uid)
        body.update(
            {"orgID": 1, "folderUID": folder_uid, "ruleGroup": RULE_GROUP,
             "noDataState": rule.no_data_state}
        )
        payloads.append(body)
    return payloads


def rule_group_payload(
    options: AlertOptions | None, datasource_uid: str, folder_uid: str = FOLDER_UID
) -> dict[str, Any]:
    """Body of ``PUT …/folder/:uid/rule-groups/gapwatch``: the group's evaluation interval."""
    o = options or AlertOptions()
    return {
        "title": RULE_GROUP,
        "folderUid": folder_uid,
        "interval": o.interval_s,
        "rules": alert_rule_payloads(o, datasource_uid, folder_uid),
    }


def _common(rule: AlertRule, datasource_uid: str) -> dict[str, Any]:
    annotations = {"summary": rule.summary, "description": rule.title}
    if rule.dashboard_uid:
        annotations["__dashboardUid__"] = rule.dashboard_uid
        annotations["__panelId__"] = str(rule.panel_id)
    return {
        "uid": rule.uid,
        "title": rule.title,
        "condition": "C",
        "data": _data(rule, datasource_uid),
        "execErrState": "Error",
        "for": rule.pending,
        "annotations": annotations,
        "labels": {"severity": rule.severity, "team": "gapwatch"},
        "isPaused": False,
    }


def _data(rule: AlertRule, datasource_uid: str) -> list[dict[str, Any]]:
    expression_source = {"type": EXPRESSION_UID, "uid": EXPRESSION_UID}
    return [
        {
            "refId": "A",
            "queryType": "",
            "relativeTimeRange": {"from": rule.window_s, "to": 0},
            "datasourceUid": datasource_uid,
            "model": {
                "refId": "A",
                "datasource": {"type": PLUGIN_TYPE, "uid": datasource_uid},
                "editorType": "sql",
                "format": TABLE,
                "queryType": "table",
                "rawSql": load_query(rule.query),
                "intervalMs": 1000,
                "maxDataPoints": 43200,
            },
        },
        {
            "refId": "B",
            "queryType": "",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPRESSION_UID,
            "model": {"refId": "B", "type": "reduce", "expression": "A", "reducer": "last",
                      "datasource": expression_source},
        },
        {
            "refId": "C",
            "queryType": "",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": EXPRESSION_UID,
            "model": {
                "refId": "C",
                "type": "threshold",
                "expression": "B",
                "conditions": [{"evaluator": {"type": rule.evaluator,
                                              "params": [rule.threshold]}}],
                "datasource": expression_source,
            },
        },
    ]
