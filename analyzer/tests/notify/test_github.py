from __future__ import annotations

import json
from typing import Any

from notify_loopback import Recorder
from proposal_factories import NOW, make_finding

from gapwatch.analyzer.notify import EvidenceLinks, GitHubIssueExporter
from gapwatch.analyzer.proposals import Proposal, ProposalRepository
from gapwatch.analyzer.store import Store


class FakeGitHub:
    """The slice of the issues REST API the exporter uses, with state, checking each request."""

    def __init__(self) -> None:
        self.issues: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> tuple[int, Any]:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        if headers.get("authorization") != "Bearer gh-token":
            return 401, {"message": "Bad credentials"}
        assert headers["accept"] == "application/vnd.github+json"
        if request["method"] == "POST" and request["path"] == "/repos/acme/agents/issues":
            body = json.loads(request["body"])
            number = len(self.issues) + 1
            issue = {"number": number, "html_url": f"https://github.test/acme/agents/{number}",
                     "body": body["body"], "title": body["title"], "labels": body["labels"]}
            self.issues.append(issue)
            return 201, issue
        if request["method"] == "GET" and request["path"].startswith("/repos/acme/agents/issues?"):
            assert "labels=gapwatch" in request["path"] and "state=all" in request["path"]
            return 200, self.issues
        return 404, {"message": "Not Found"}


def _proposal() -> Proposal:
    return Proposal.from_finding(make_finding(count=12), now=NOW)


def test_exports_once_when_the_mapping_is_stored(store: Store) -> None:
    github = FakeGitHub()
    with Recorder(handler=github) as api:
        exporter = GitHubIssueExporter(
            "acme/agents", "gh-token", api_url=api.url, repository=ProposalRepository(store),
            links=EvidenceLinks("http://gapwatch.test", "http://grafana.test/t/{trace_id}"))
        first = exporter.export(_proposal())
        second = exporter.export(_proposal())
    assert first.created and not second.created and first.number == second.number == 1
    assert len(github.issues) == 1
    # the second export was answered from the stored mapping: no GitHub call at all
    assert [r["method"] for r in api.requests] == ["GET", "POST"]
    body = github.issues[0]["body"]
    assert "http://grafana.test/t/" + "0" * 32 in body
    assert "http://gapwatch.test/api/v1/proposals/" in body
    assert "Handle the timeout inside search" in body
    assert github.issues[0]["labels"] == ["gapwatch", "gapwatch:tool_improvement",
                                          "priority:high"]


def test_finds_its_issue_again_when_no_mapping_is_stored() -> None:
    github = FakeGitHub()
    with Recorder(handler=github) as api:
        GitHubIssueExporter("acme/agents", "gh-token", api_url=api.url).export(_proposal())
        again = GitHubIssueExporter("acme/agents", "gh-token", api_url=api.url).export(
            _proposal())
        other = GitHubIssueExporter("acme/agents", "gh-token", api_url=api.url).export(
            Proposal.from_finding(make_finding(tool="fetch"), now=NOW))
    assert not again.created and again.number == 1
    assert other.created and other.number == 2
    assert len(github.issues) == 2
