"""Links from a notification or an issue back to gapwatch and to the evidence traces.

    links = EvidenceLinks(public_url="https://gapwatch.example", trace_url_template="…{trace_id}")
    links.trace("4bf92f3577b34da6a3ce929d0e0e4736")
"""

from __future__ import annotations

from dataclasses import dataclass

from gapwatch.analyzer.proposals.model import Proposal


@dataclass(frozen=True)
class EvidenceLinks:
    public_url: str = ""  # where people reach the API, e.g. http://gapwatch.internal:8080
    trace_url_template: str = ""  # e.g. a Grafana explore URL containing {trace_id}

    def proposal(self, proposal: Proposal) -> str:
        if not self.public_url:
            return ""
        return f"{self.public_url.rstrip('/')}/api/v1/proposals/{proposal.id}"

    def trace(self, trace_id: str) -> str:
        if not self.trace_url_template:
            return ""
        return self.trace_url_template.replace("{trace_id}", trace_id)

    def trace_lines(self, proposal: Proposal, limit: int = 10) -> list[str]:
        """Markdown bullets, one per sample trace: a link when a template is set, else the id."""
        lines = []
        for trace_id in list(proposal.evidence.get("traces", []))[:limit]:
            url = self.trace(trace_id)
            lines.append(f"- [{trace_id}]({url})" if url else f"- `{trace_id}`")
        return lines
