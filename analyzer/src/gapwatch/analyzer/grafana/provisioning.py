"""Grafana file provisioning for gapwatch: datasource, dashboard provider, alert rules, JSON.

    written = write_provisioning(Path("dashboards"), ProvisioningOptions())

Layout (mount ``provisioning/`` as Grafana's provisioning directory and ``json/`` at
``dashboards_path``)::

    provisioning/datasources/gapwatch-clickhouse.yaml
    provisioning/dashboards/gapwatch.yaml
    provisioning/alerting/gapwatch-alerts.yaml
    json/gapwatch-*.json
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from gapwatch.analyzer.grafana.alerts import (
    FOLDER_TITLE,
    FOLDER_UID,
    AlertOptions,
    render_alert_provisioning,
)
from gapwatch.analyzer.grafana.dashboards import DEFAULT_DATASOURCE_UID, render_dashboards
from gapwatch.analyzer.grafana.model import PLUGIN_TYPE

# Grafana interpolates these when it loads the file, so one provisioning directory serves any
# deployment (compose and the Kubernetes manifests set them); the API path uses DatasourceOptions.
PASSWORD_ENV = "$GAPWATCH_GRAFANA_CLICKHOUSE_PASSWORD"
FILE_CONNECTION_ENV = {
    "host": "$GAPWATCH_GRAFANA_CLICKHOUSE_HOST",
    "username": "$GAPWATCH_GRAFANA_CLICKHOUSE_USER",
    "defaultDatabase": "$GAPWATCH_GRAFANA_CLICKHOUSE_DATABASE",
}


@dataclass(frozen=True)
class DatasourceOptions:
    """How Grafana reaches ClickHouse (Grafana cannot read an embedded chDB directory)."""

    uid: str = DEFAULT_DATASOURCE_UID
    name: str = "gapwatch ClickHouse"
    host: str = "clickhouse"
    port: int = 8123
    protocol: str = "http"
    username: str = "default"
    database: str = "default"
    secure: bool = False

    def json_data(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "protocol": self.protocol,
            "secure": self.secure,
            "username": self.username,
            "defaultDatabase": self.database,
            # the plugin's mapKeys() probing is expensive on large OTel tables
            "enableMapKeysDiscovery": False,
            "traces": {
                "defaultDatabase": self.database,
                "defaultTable": "otel_traces",
                "otelEnabled": True,
                "otelVersion": "latest",
                "durationUnit": "nanoseconds",
            },
        }

    def api_body(self, password: str = "") -> dict[str, Any]:
        """Body for ``POST /api/datasources`` and ``PUT /api/datasources/uid/:uid``."""
        body: dict[str, Any] = {
            "uid": self.uid,
            "name": self.name,
            "type": PLUGIN_TYPE,
            "access": "proxy",
            "isDefault": False,
            "jsonData": self.json_data(),
        }
        if password:
            body["secureJsonData"] = {"password": password}
        return body


@dataclass(frozen=True)
class ProvisioningOptions:
    datasource: DatasourceOptions = field(default_factory=DatasourceOptions)
    alerts: AlertOptions = field(default_factory=AlertOptions)
    dashboards_path: str = "/var/lib/grafana/dashboards/gapwatch"


def render_provisioning(options: ProvisioningOptions | None = None) -> dict[str, str]:
    """Relative path → file content, for every file of the layout."""
    o = options or ProvisioningOptions()
    body = {k: v for k, v in o.datasource.api_body().items() if k != "isDefault"}
    body["jsonData"] = {**body["jsonData"], **FILE_CONNECTION_ENV}
    body["jsonData"]["traces"] = {
        **body["jsonData"]["traces"],
        "defaultDatabase": FILE_CONNECTION_ENV["defaultDatabase"],
    }
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                **body,
                "orgId": 1,
                "editable": True,
                "secureJsonData": {"password": PASSWORD_ENV},
            }
        ],
    }
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "gapwatch",
                "orgId": 1,
                "folder": FOLDER_TITLE,
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": False,
                "updateIntervalSeconds": 30,
                "allowUiUpdates": False,
                "options": {"path": o.dashboards_path},
            }
        ],
    }
    files = {
        "provisioning/datasources/gapwatch-clickhouse.yaml": _yaml(datasource),
        "provisioning/dashboards/gapwatch.yaml": _yaml(provider),
        "provisioning/alerting/gapwatch-alerts.yaml": _yaml(
            render_alert_provisioning(o.alerts, o.datasource.uid)
        ),
    }
    for filename, dashboard in render_dashboards(o.datasource.uid).items():
        files[f"json/{filename}"] = json.dumps(dashboard, indent=2, sort_keys=True) + "\n"
    return files


def write_provisioning(directory: Path, options: ProvisioningOptions | None = None) -> list[Path]:
    """Write the layout under ``directory``; files are replaced, others left alone."""
    written = []
    for relative, content in render_provisioning(options).items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]  # PyYAML has no stubs here
    """No anchors/aliases (Grafana's loader is fine with them, people are not); SQL as blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _yaml(document: dict[str, Any]) -> str:
    header = "# Generated by `gapwatch publish grafana --to-dir`; edit the generator instead.\n"
    return header + str(yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, width=100, allow_unicode=True
    ))
