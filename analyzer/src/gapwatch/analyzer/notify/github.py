"""Export a proposal as a GitHub issue through the REST API, never filing it twice.

    exporter = GitHubIssueExporter("acme/agents", token, repository=ProposalRepository(store))
    issue = exporter.export(proposal)   # IssueRef(number=12, url=..., created=True)
    exporter.export(proposal).created   # False: found again, nothing new filed

Idempotent twice over: a stored mapping (``gapwatch_proposal_exports``) when a store is at
hand, and a marker comment in the issue body found by listing the repository's ``gapwatch``
issues, so a second store or a lost mapping still finds the issue it filed before.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import httpx

from gapwatch.analyzer.errors import AnalyzerError, ConfigurationError
from gapwatch.analyzer.notify.events import EventKind, ProposalEvent
from gapwatch.analyzer.notify.links import EvidenceLinks
from gapwatch.analyzer.proposals.model import Proposal
from gapwatch.analyzer.proposals.repository import ExportRecord, ProposalRepository

TARGET = "github"
LABEL = "gapwatch"
MAX_PAGES = 20  # 2,000 issues: the marker search stays bounded on busy repositories

logger = logging.getLogger(__name__)


class GitHubExportError(AnalyzerError):
    title = "GitHub export failed"
    type_slug = "github"
    status = 502


@dataclass(frozen=True)
class IssueRef:
    number: int
    url: str
    created: bool


class GitHubIssueExporter:
    def __init__(
        self,
        repo: str,
        token: str | None = None,
        *,
        api_url: str = "https://api.github.com",
        repository: ProposalRepository | None = None,
        links: EvidenceLinks | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise ConfigurationError(f"GitHub repository must be owner/name, not {repo!r}")
        token = token or os.environ.get("GAPWATCH_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN")
        if not token:
            raise ConfigurationError("set GAPWATCH_GITHUB_TOKEN or GITHUB_TOKEN to export issues")
        self.repo = repo
        self.repository = repository
        self.links = links or EvidenceLinks()
        self._client = httpx.Client(
            base_url=api_url.rstrip("/"), timeout=timeout, transport=transport,
            headers={"Authorization": f"Bearer {token}",
                     "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28"},
        )

    def export(self, proposal: Proposal) -> IssueRef:
        """The proposal's issue: found if it exists, filed otherwise."""
        if self.repository is not None:
            record = self.repository.export_record(proposal.id, self._target)
            if record is not None:
                return IssueRef(int(record.external_id), record.url, created=False)
        found = self._find(proposal)
        issue = found or self._create(proposal)
        if self.repository is not None:
            self.repository.record_export(
                ExportRecord(proposal.id, self._target, str(issue.number), issue.url)
            )
        return issue

    def close(self) -> None:
        self._client.close()

    @property
    def _target(self) -> str:
        return f"{TARGET}:{self.repo}"

    def _find(self, proposal: Proposal) -> IssueRef | None:
        marker = issue_marker(proposal)
        for page in range(1, MAX_PAGES + 1):
            response = self._request("GET", f"/repos/{self.repo}/issues", params={
                "labels": LABEL, "state": "all", "per_page": 100, "page": page,
            })
            issues = response.json()
            for issue in issues:
                if marker in (issue.get("body") or ""):
                    return IssueRef(int(issue["number"]), issue["html_url"], created=False)
            if len(issues) < 100:
                return None
        return None

    def _create(self, proposal: Proposal) -> IssueRef:
        response = self._request("POST", f"/repos/{self.repo}/issues", json={
            "title": f"[gapwatch] {proposal.title}",
            "body": issue_body(proposal, self.links),
            "labels": [LABEL, f"{LABEL}:{proposal.type}", f"priority:{proposal.priority}"],
        })
        issue = response.json()
        logger.info("proposal %s exported as %s", proposal.id, issue["html_url"])
        return IssueRef(int(issue["number"]), issue["html_url"], created=True)

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        try:
            response = self._client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as error:
            raise GitHubExportError(f"{method} {path}: {error}") from error
        if not response.is_success:
            raise GitHubExportError(f"{method} {path}: HTTP {response.status_code}")
        return response


class GitHubIssuePublisher:
    """Files an issue for new and reopened proposals the analysis notifies about."""

    def __init__(self, exporter: GitHubIssueExporter):
        self.exporter = exporter

    def publish(self, event: ProposalEvent) -> None:
        if event.kind in (EventKind.NEW, EventKind.REOPENED):
            self.exporter.export(event.proposal)


def issue_marker(proposal: Proposal) -> str:
    return f"<!-- gapwatch-proposal:{proposal.id} -->"


def issue_body(proposal: Proposal, links: EvidenceLinks) -> str:
    evidence = proposal.evidence
    lines = [
        proposal.summary, "",
        "## Proposed change", proposal.proposed_change, "",
        "## Expected impact", proposal.expected_impact, "",
        "## Risk", proposal.risk, "",
        "## Evidence",
        f"- {evidence.get('count', proposal.evidence_count)} occurrences in "
        f"{evidence.get('sessions', 0)} sessions between {evidence.get('first_seen')} and "
        f"{evidence.get('last_seen')} (window {evidence.get('window', '')})",
    ]
    for name, value in sorted(dict(evidence.get("metrics", {})).items()):
        lines.append(f"- {name}: {value}")
    lines += ["", "### Sample traces", *links.trace_lines(proposal)]
    url = links.proposal(proposal)
    footer = (f"Detector `{proposal.detector}`, priority {proposal.priority}, confidence "
              f"{proposal.confidence:.0%}.")
    lines += ["", footer + (f" [Proposal in gapwatch]({url})" if url else "")]
    lines += ["", issue_marker(proposal)]
    return "\n".join(lines)
