"""Notifications: a signed Slack-compatible webhook and GitHub issue export.

    publishers = publishers_from_settings(settings, store)
"""

from __future__ import annotations

from gapwatch.analyzer.notify.events import EventKind, ProposalEvent, Publisher
from gapwatch.analyzer.notify.github import (
    GitHubExportError,
    GitHubIssueExporter,
    GitHubIssuePublisher,
    IssueRef,
)
from gapwatch.analyzer.notify.links import EvidenceLinks
from gapwatch.analyzer.notify.webhook import WebhookDeliveryError, WebhookPublisher, sign
from gapwatch.analyzer.proposals.repository import ProposalRepository
from gapwatch.analyzer.settings import Settings
from gapwatch.analyzer.store import Store

__all__ = [
    "EventKind",
    "EvidenceLinks",
    "GitHubExportError",
    "GitHubIssueExporter",
    "GitHubIssuePublisher",
    "IssueRef",
    "ProposalEvent",
    "Publisher",
    "WebhookDeliveryError",
    "WebhookPublisher",
    "publishers_from_settings",
    "sign",
]


def links_from_settings(settings: Settings) -> EvidenceLinks:
    return EvidenceLinks(settings.public_url, settings.trace_url_template)


def publishers_from_settings(settings: Settings, store: Store) -> list[Publisher]:
    """The notifiers the settings switch on: webhook URL, GitHub repository."""
    links = links_from_settings(settings)
    publishers: list[Publisher] = []
    if settings.webhook_url:
        publishers.append(WebhookPublisher(settings.webhook_url, settings.webhook_secret,
                                           links=links))
    if settings.github_repo:
        publishers.append(GitHubIssuePublisher(GitHubIssueExporter(
            settings.github_repo, settings.github_token or None,
            api_url=settings.github_api_url, repository=ProposalRepository(store), links=links,
        )))
    return publishers
