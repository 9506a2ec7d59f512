"""Publish the folder, datasource, dashboards and alert rules to a Grafana over its HTTP API.

    api = GrafanaApi.from_url("http://grafana:3000", credential=token)
    actions = GrafanaPublisher(api, PublishOptions()).publish()

Idempotent: every object has a fixed uid; it is read first and written only when it differs,
so a second run performs no write at all (and reports every object ``unchanged``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

from gapwatch.analyzer.grafana import (
    AlertOptions,
    DatasourceOptions,
    alert_rule_payloads,
    render_dashboards,
    rule_group_payload,
)
from gapwatch.analyzer.grafana.alerts import FOLDER_TITLE, FOLDER_UID, RULE_GROUP

logger = logging.getLogger(__name__)
# fields Grafana adds to what we send; ignored when comparing
_SERVER_FIELDS = {"id", "version", "updated", "provenance", "orgID", "orgId"}


@dataclass(frozen=True)
class PublishOptions:
    folder_uid: str = FOLDER_UID
    folder_title: str = FOLDER_TITLE
    datasource: DatasourceOptions = field(default_factory=DatasourceOptions)
    create_datasource: bool = False  # only when asked: Grafana may already have one
    datasource_password: str = ""
    alerts: AlertOptions = field(default_factory=AlertOptions)
    disable_provenance: bool = False  # True keeps API-created rules editable in the UI


@dataclass(frozen=True)
class PublishAction:
    kind: str  # folder | datasource | dashboard | alert-rule | rule-group
    uid: str
    action: str  # created | updated | unchanged


class GrafanaPublisher:
    """Publishes through ``grafana-client``; every call maps to one documented endpoint."""

    def __init__(self, api: GrafanaApi, options: PublishOptions | None = None) -> None:
        self.api: Any = api  # grafana-client ships no type hints
        self.options = options or PublishOptions()

    def publish(self) -> list[PublishAction]:
        actions = [self._ensure_folder()]
        if self.options.create_datasource:
            actions.append(self._ensure_datasource())
        actions.extend(self._ensure_dashboards())
        actions.extend(self._ensure_alert_rules())
        for action in actions:
            logger.info("grafana %s %s: %s", action.kind, action.uid, action.action)
        return actions

    def _ensure_folder(self) -> PublishAction:
        o = self.options
        existing = _get_or_none(lambda: self.api.folder.get_folder(o.folder_uid))
        if existing is None:
            self.api.folder.create_folder(o.folder_title, uid=o.folder_uid)
            return PublishAction("folder", o.folder_uid, "created")
        if existing.get("title") != o.folder_title:
            self.api.folder.update_folder(o.folder_uid, title=o.folder_title, overwrite=True)
            return PublishAction("folder", o.folder_uid, "updated")
        return PublishAction("folder", o.folder_uid, "unchanged")

    def _ensure_datasource(self) -> PublishAction:
        source = self.options.datasource
        body = source.api_body(self.options.datasource_password)
        existing = _get_or_none(lambda: self.api.datasource.get_datasource_by_uid(source.uid))
        if existing is None:
            self.api.datasource.create_datasource(body)
            return PublishAction("datasource", source.uid, "created")
        if not _same(body, existing, ignore={"secureJsonData"}):
            self.api.datasource.update_datasource_by_uid(source.uid, body)
            return PublishAction("datasource", source.uid, "updated")
        return PublishAction("datasource", source.uid, "unchanged")

    def _ensure_dashboards(self) -> list[PublishAction]:
        actions = []
        folder = self.options.folder_uid
        for dashboard in render_dashboards(self.options.datasource.uid).values():
            uid = dashboard["uid"]
            existing = _get_or_none(lambda uid=uid: self.api.dashboard.get_dashboard(uid))
            if existing is not None and (
                existing.get("meta", {}).get("folderUid") == folder
                and _same(dashboard, existing.get("dashboard", {}))
            ):
                actions.append(PublishAction("dashboard", uid, "unchanged"))
                continue
            self.api.dashboard.update_dashboard({
                "dashboard": {**dashboard, "id": None},
                "folderUid": folder,
                "overwrite": True,  # our uid is authoritative; avoids version-mismatch 412s
                "message": "published by gapwatch",
            })
            actions.append(PublishAction("dashboard", uid, "created" if existing is None
                                         else "updated"))
        return actions

    def _ensure_alert_rules(self) -> list[PublishAction]:
        o = self.options
        rules = self.api.alertingprovisioning
        actions = []
        for payload in alert_rule_payloads(o.alerts, o.datasource.uid, o.folder_uid):
            uid = payload["uid"]
            existing = _get_or_none(lambda uid=uid: rules.get_alertrule(uid))
            if existing is None:
                rules.create_alertrule(payload, disable_provenance=o.disable_provenance)
                actions.append(PublishAction("alert-rule", uid, "created"))
            elif not _same(payload, existing):
                rules.update_alertrule(uid, payload, disable_provenance=o.disable_provenance)
                actions.append(PublishAction("alert-rule", uid, "updated"))
            else:
                actions.append(PublishAction("alert-rule", uid, "unchanged"))
        # the evaluation interval lives on the group, not on the rules
        group = _get_or_none(lambda: rules.get_rule_group(o.folder_uid, RULE_GROUP))
        if group is None or group.get("interval") != o.alerts.interval_s:
            rules.update_rule_group(
                o.folder_uid, RULE_GROUP,
                rule_group_payload(o.alerts, o.datasource.uid, o.folder_uid),
                disable_provenance=o.disable_provenance,
            )
            actions.append(PublishAction("rule-group", RULE_GROUP, "updated"))
        else:
            actions.append(PublishAction("rule-group", RULE_GROUP, "unchanged"))
        return actions


def _get_or_none(read: Any) -> Any:
    """The object, or None when Grafana answers 404."""
    try:
        return read()
    except GrafanaClientError as error:
        if getattr(error, "status_code", None) == 404:
            return None
        raise


def _same(desired: Any, existing: Any, ignore: set[str] | None = None) -> bool:
    """True when every field we send has the same value on the server (extra fields ignored)."""
    skip = _SERVER_FIELDS | (ignore or set())
    if isinstance(desired, dict):
        if not isinstance(existing, dict):
            return False
        return all(
            key in existing and _same(value, existing[key])
            for key, value in desired.items()
            if key not in skip
        )
    if isinstance(desired, list):
        return (isinstance(existing, list) and len(desired) == len(existing)
                and all(_same(d, e) for d, e in zip(desired, existing, strict=True)))
    return bool(desired == existing)
