from __future__ import annotations

import json

import pytest
from notify_loopback import Recorder
from proposal_factories import NOW, make_finding

from gapwatch.analyzer.notify import (
    EventKind,
    EvidenceLinks,
    ProposalEvent,
    WebhookDeliveryError,
    WebhookPublisher,
    sign,
)
from gapwatch.analyzer.proposals import Proposal


def _event(kind: EventKind = EventKind.NEW) -> ProposalEvent:
    return ProposalEvent(kind, Proposal.from_finding(make_finding(count=12), now=NOW))


def test_delivers_a_signed_slack_payload_when_the_receiver_accepts() -> None:
    with Recorder([(200, {"ok": True})]) as hook:
        links = EvidenceLinks("http://gapwatch.test", "http://grafana.test/trace/{trace_id}")
        WebhookPublisher(hook.url + "/hook", "s3cret", links=links).publish(_event())
    (request,) = hook.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    expected = sign("s3cret", headers["x-gapwatch-timestamp"], request["body"])
    assert headers["x-gapwatch-signature"] == "sha256=" + expected
    assert headers["x-gapwatch-event"] == "proposal.new"
    payload = json.loads(request["body"])
    assert payload["text"].startswith("New high-priority proposal: search fails 12 times")
    section = payload["blocks"][0]["text"]["text"]
    assert "<http://gapwatch.test/api/v1/proposals/" in section
    assert "http://grafana.test/trace/" + "0" * 32 in section
    assert payload["gapwatch"]["proposal"]["evidence"]["count"] == 12


def test_retries_with_backoff_when_the_receiver_fails_then_recovers() -> None:
    waits: list[float] = []
    script = [(503, {}), (429, {}), (200, {})]
    with Recorder(script) as hook:
        WebhookPublisher(hook.url, "k", backoff=0.01, sleep=waits.append).publish(_event())
    assert len(hook.requests) == 3
    assert waits == [0.01, 0.02]
    # every attempt carries the same body
    assert len({r["body"] for r in hook.requests}) == 1


def test_gives_up_when_every_attempt_fails_or_the_request_is_refused() -> None:
    with Recorder([(500, {})] * 3) as hook:
        publisher = WebhookPublisher(hook.url, attempts=3, backoff=0, sleep=lambda s: None)
        with pytest.raises(WebhookDeliveryError, match="HTTP 500"):
            publisher.publish(_event(EventKind.REGRESSED))
    assert len(hook.requests) == 3
    with Recorder([(400, {})]) as hook:
        with pytest.raises(WebhookDeliveryError, match="HTTP 400"):
            WebhookPublisher(hook.url, sleep=lambda s: None).publish(_event())
    assert len(hook.requests) == 1  # a client error is not retried


def test_regression_payload_carries_the_before_and_after_numbers() -> None:
    proposal = Proposal.from_finding(make_finding(), now=NOW)
    from dataclasses import replace

    proposal = replace(proposal, verification={
        "before": {"total": 40, "bad": 1, "rate": 0.025},
        "after": {"total": 40, "bad": 9, "rate": 0.225}, "p_value": 0.01})
    with Recorder([(200, {})]) as hook:
        WebhookPublisher(hook.url).publish(ProposalEvent(EventKind.REGRESSED, proposal))
    text = json.loads(hook.requests[0]["body"])["blocks"][0]["text"]["text"]
    assert "Change made things worse" in text and "2.5% before → 22.5% after" in text
