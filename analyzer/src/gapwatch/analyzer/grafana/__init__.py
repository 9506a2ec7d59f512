"""gapwatch's Grafana assets as code: dashboards, alert rules, provisioning files, macros.

    from gapwatch.analyzer.grafana import render_dashboards, write_provisioning
    write_provisioning(Path("out/grafana"))
"""

from gapwatch.analyzer.grafana.alerts import (
    AlertOptions,
    alert_rule_payloads,
    alert_rules,
    render_alert_provisioning,
    rule_group_payload,
)
from gapwatch.analyzer.grafana.dashboards import dashboard_specs, render_dashboards
from gapwatch.analyzer.grafana.macros import QueryContext, expand_query
from gapwatch.analyzer.grafana.provisioning import (
    DatasourceOptions,
    ProvisioningOptions,
    render_provisioning,
    write_provisioning,
)

__all__ = [
    "AlertOptions",
    "DatasourceOptions",
    "ProvisioningOptions",
    "QueryContext",
    "alert_rule_payloads",
    "alert_rules",
    "dashboard_specs",
    "expand_query",
    "render_alert_provisioning",
    "render_dashboards",
    "render_provisioning",
    "rule_group_payload",
    "write_provisioning",
]
