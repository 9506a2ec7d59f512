"""Publishers: push gapwatch's dashboards and alert rules to Grafana."""

from gapwatch.analyzer.publish.grafana import GrafanaPublisher, PublishAction, PublishOptions

__all__ = ["GrafanaPublisher", "PublishAction", "PublishOptions"]
