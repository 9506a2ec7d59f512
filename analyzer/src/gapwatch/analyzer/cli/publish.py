"""``gapwatch publish grafana``: push dashboards and alert rules to Grafana, or write files.

    gapwatch publish grafana --url http://grafana:3000 --token $TOKEN [--datasource-host ch]
    gapwatch publish grafana --to-dir ./grafana      # file provisioning layout
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    publish = subparsers.add_parser("publish", help="publish dashboards and alert rules")
    targets = publish.add_subparsers(dest="target", required=True, metavar="TARGET")
    grafana = targets.add_parser("grafana", help="Grafana: folder, datasource, dashboards, alerts")
    env = os.environ.get
    grafana.add_argument("--url", default=env("GAPWATCH_GRAFANA_URL", ""),
                         help="Grafana base URL (env GAPWATCH_GRAFANA_URL)")
    grafana.add_argument("--token", default=env("GAPWATCH_GRAFANA_TOKEN", ""),
                         help="service-account token (env GAPWATCH_GRAFANA_TOKEN)")
    grafana.add_argument("--to-dir", type=Path, default=None,
                         help="write the file-provisioning layout here instead of calling the API")
    grafana.add_argument("--datasource-uid", default="gapwatch-clickhouse",
                         help="uid of the ClickHouse datasource the dashboards query")
    grafana.add_argument("--datasource-host", default=env("GAPWATCH_GRAFANA_CLICKHOUSE_HOST", ""),
                         help="also create/update the ClickHouse datasource for this host")
    grafana.add_argument("--datasource-port", type=int, default=8123,
                         help="ClickHouse port Grafana connects to (default 8123)")
    grafana.add_argument("--datasource-protocol", choices=["http", "native"], default="http",
                         help="ClickHouse protocol for that port (default http)")
    grafana.add_argument("--datasource-user", default="default",
                         help="ClickHouse user for Grafana (default: default)")
    grafana.add_argument("--datasource-database", default="default",
                         help="database holding otel_traces and gapwatch's tables")
    grafana.add_argument("--datasource-password",
                         default=env("GAPWATCH_GRAFANA_CLICKHOUSE_PASSWORD", ""),
                         help="ClickHouse password (env GAPWATCH_GRAFANA_CLICKHOUSE_PASSWORD)")
    grafana.add_argument("--error-rate-threshold", type=float, default=0.2,
                         help="tool error rate that fires the alert rule (default 0.2)")
    grafana.add_argument("--stall-minutes", type=int, default=10,
                         help="minutes without spans before the stall alert fires (default 10)")
    grafana.add_argument("--token-budget", type=int, default=2_000_000,
                         help="tokens per service per day before the budget alert fires")
    grafana.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gapwatch.analyzer.grafana import (
        AlertOptions,
        DatasourceOptions,
        ProvisioningOptions,
        write_provisioning,
    )

    datasource = DatasourceOptions(
        uid=args.datasource_uid, host=args.datasource_host or "clickhouse",
        port=args.datasource_port, protocol=args.datasource_protocol,
        username=args.datasource_user, database=args.datasource_database,
    )
    alerts = AlertOptions(tool_error_rate=args.error_rate_threshold,
                          stall_minutes=args.stall_minutes, token_budget=args.token_budget)
    if args.to_dir is not None:
        written = write_provisioning(args.to_dir, ProvisioningOptions(datasource, alerts))
        for path in written:
            print(f"wrote {path}")
        return 0
    if not args.url:
        print("gapwatch publish grafana: give --url (and --token) or --to-dir")
        return 2
    from grafana_client.api import GrafanaApi  # imported late: only this path needs it

    from gapwatch.analyzer.publish import GrafanaPublisher, PublishOptions

    api = GrafanaApi.from_url(args.url, credential=args.token or None)
    options = PublishOptions(
        datasource=datasource, alerts=alerts, create_datasource=bool(args.datasource_host),
        datasource_password=args.datasource_password,
    )
    actions = GrafanaPublisher(api, options).publish()
    for action in actions:
        print(f"{action.kind:<11} {action.uid:<28} {action.action}")
    changed = sum(1 for action in actions if action.action != "unchanged")
    print(f"{changed} change(s) published to {args.url}")
    return 0
