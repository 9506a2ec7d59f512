"""Post proposal events to a Slack-compatible webhook, HMAC-signed and retried with backoff.

    publisher = WebhookPublisher("https://hooks.example/T0/B0/x", secret="s3cret")
    publisher.publish(ProposalEvent(EventKind.REGRESSED, proposal))

Receivers verify ``X-Gapwatch-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<X-Gapwatch-Timestamp>.<raw body>`` under the shared secret; the timestamp lets them refuse
replays. Slack ignores the extra ``gapwatch`` key, which carries the full proposal for machines.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from gapwatch.analyzer.errors import AnalyzerError
from gapwatch.analyzer.notify.events import EventKind, ProposalEvent
from gapwatch.analyzer.notify.links import EvidenceLinks
from gapwatch.analyzer.proposals.serialize import proposal_to_dict

SIGNATURE_HEADER = "X-Gapwatch-Signature"
TIMESTAMP_HEADER = "X-Gapwatch-Timestamp"
EVENT_HEADER = "X-Gapwatch-Event"
MAX_RETRY_AFTER = 30.0
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_HEADLINES = {
    EventKind.NEW: "New {priority}-priority proposal",
    EventKind.REOPENED: "Problem is back",
    EventKind.REGRESSED: "Change made things worse",
}

logger = logging.getLogger(__name__)


class WebhookDeliveryError(AnalyzerError):
    title = "Webhook delivery failed"
    type_slug = "webhook"


class WebhookPublisher:
    def __init__(
        self,
        url: str,
        secret: str = "",
        *,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 5.0,
        links: EvidenceLinks | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.url = url
        self.secret = secret
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.links = links or EvidenceLinks()
        self._client = httpx.Client(timeout=timeout, transport=transport)
        self._sleep = sleep

    def publish(self, event: ProposalEvent) -> None:
        """Deliver one event; raises :class:`WebhookDeliveryError` once every attempt failed."""
        body = json.dumps(build_payload(event, self.links), separators=(",", ":")).encode()
        last = ""
        for attempt in range(1, self.attempts + 1):
            delay = self.backoff * 2 ** (attempt - 1)
            try:
                response = self._client.post(self.url, content=body,
                                             headers=self._headers(event, body))
            except httpx.TransportError as error:
                last = f"{type(error).__name__}: {error}"
            else:
                if response.is_success:
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code not in _RETRY_STATUSES:
                    break
                delay = max(delay, _retry_after(response))
            if attempt < self.attempts:
                logger.warning("webhook attempt %d failed (%s); retrying in %.2fs", attempt,
                               last, delay)
                self._sleep(delay)
        raise WebhookDeliveryError(f"webhook {event.kind} for {event.proposal.id}: {last}")

    def close(self) -> None:
        self._client.close()

    def _headers(self, event: ProposalEvent, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", EVENT_HEADER: f"proposal.{event.kind}",
                   TIMESTAMP_HEADER: timestamp}
        if self.secret:
            headers[SIGNATURE_HEADER] = "sha256=" + sign(self.secret, timestamp, body)
        return headers


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def build_payload(event: ProposalEvent, links: EvidenceLinks) -> dict[str, Any]:
    """Slack's ``text`` + ``blocks``, plus the machine-readable proposal under ``gapwatch``."""
    p = event.proposal
    headline = _HEADLINES[event.kind].format(priority=p.priority)
    url = links.proposal(p)
    title = f"<{url}|{p.title}>" if url else p.title
    lines = [f"*{headline}:* {title}", p.summary, f"*Proposed change:* {p.proposed_change}"]
    if event.kind is EventKind.REGRESSED and p.verification:
        before, after = p.verification["before"], p.verification["after"]
        lines.append(f"*Failure rate:* {before['rate']:.1%} before → {after['rate']:.1%} after "
                     f"(p={p.verification.get('p_value')})")
    traces = links.trace_lines(p, limit=3)
    if traces:
        lines.append("*Evidence traces:*\n" + "\n".join(traces))
    context = (f"{p.detector} · {p.type} · confidence {p.confidence:.0%} · "
               f"{p.evidence_count} occurrences · id {p.id}")
    return {
        "text": f"{headline}: {p.title}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
        "gapwatch": {"event": f"proposal.{event.kind}", "proposal": proposal_to_dict(p)},
    }


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("Retry-After", "0")), MAX_RETRY_AFTER)
    except ValueError:
        return 0.0
