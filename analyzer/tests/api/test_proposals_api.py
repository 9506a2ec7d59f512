from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from proposal_factories import insert_tool_calls, make_finding

ADMIN = {"Authorization": "Bearer admin-token-123"}
READER = {"Authorization": "Bearer reader-token-456"}


def _analyse(api: Any, **body: Any) -> dict[str, Any]:
    response = api.client.post("/api/v1/analyses", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_analysis_creates_proposals_when_findings_exist(api: Any) -> None:
    api.detections.findings = [make_finding(tool="search"), make_finding(tool="fetch")]
    result = _analyse(api, window="24h")
    assert result["findings"] == 2 and result["proposals"]["new"] == 2
    assert result["window"] == "24h" and result["finished_at"] >= result["started_at"]
    again = _analyse(api)
    assert again["proposals"] == {"new": 0, "updated": 2, "reopened": 0, "suppressed": 0}
    body = api.client.get("/api/v1/proposals").json()
    assert len(body["proposals"]) == 2 and body["next_cursor"] is None
    proposal = body["proposals"][0]
    assert proposal["status"] == "open" and proposal["evidence"]["count"] == 10
    assert set(proposal["subject"]) >= {"service", "agent", "tool", "target_agent"}


def test_analysis_says_when_it_saw_too_little_data(api: Any) -> None:
    result = _analyse(api, window="24h", dry_run=True)
    data = result["data"]
    assert data["spans"] == 0 and data["enough"] is False
    assert "no agent spans in the last 24h" in data["note"]


def test_dry_run_reports_counts_and_stores_nothing(api: Any) -> None:
    api.detections.findings = [make_finding()]
    assert _analyse(api, dry_run=True)["proposals"]["new"] == 1
    assert api.client.get("/api/v1/proposals").json()["proposals"] == []


def test_async_analysis_is_accepted_and_finishes_in_background(api: Any) -> None:
    api.detections.findings = [make_finding()]
    response = api.client.post("/api/v1/analyses", json={"async": True})
    assert response.status_code == 202 and response.json()["finished_at"] is None
    # the scheduler's queue is FIFO: a synchronous run queued behind it proves it finished
    api.client.app.state.services.scheduler.request().wait(timeout=30)
    assert len(api.client.get("/api/v1/proposals").json()["proposals"]) == 1


def test_filters_and_cursor_walk_every_proposal_once(api: Any) -> None:
    api.detections.findings = [
        make_finding(tool=f"tool{i:02d}", priority=("high", "medium", "low")[i % 3],
                     detector=("retry_loop", "tool_failure_hotspot")[i % 2])
        for i in range(23)
    ]
    _analyse(api)
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/proposals", params=params).json()
        seen += page["proposals"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 23 and len({p["id"] for p in seen}) == 23
    ranks = [("high", "medium", "low").index(p["priority"]) for p in seen]
    assert ranks == sorted(ranks)

    high = api.client.get("/api/v1/proposals", params={"priority": "high"}).json()
    assert {p["priority"] for p in high["proposals"]} == {"high"} and len(high["proposals"]) == 8
    both = api.client.get("/api/v1/proposals",
                          params={"tool": "tool01,tool02", "detector": "retry_loop"}).json()
    assert [p["subject"]["tool"] for p in both["proposals"]] == ["tool02"]
    # a value that would break naive SQL is only ever a bound parameter
    odd = api.client.get("/api/v1/proposals", params={"agent": "x' OR 1=1 --"}).json()
    assert odd["proposals"] == []


def test_lifecycle_through_the_api_records_history(api: Any) -> None:
    api.detections.findings = [make_finding()]
    _analyse(api)
    pid = api.client.get("/api/v1/proposals").json()["proposals"][0]["id"]
    approved = api.client.post(f"/api/v1/proposals/{pid}/approve",
                               json={"reason": "cheap", "actor": "ana"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    done = api.client.post(f"/api/v1/proposals/{pid}/implemented",
                           json={"reason": "shipped", "version": "v2"}).json()
    assert done["status"] == "implemented" and done["implemented_version"] == "v2"
    detail = api.client.get(f"/api/v1/proposals/{pid}").json()
    assert [h["to_status"] for h in detail["history"]] == ["open", "approved", "implemented"]
    assert detail["history"][1]["actor"].startswith("ana (anonymous@")
    assert detail["history"][1]["reason"] == "cheap"


def test_snooze_takes_a_date_and_refuses_the_past(api: Any) -> None:
    api.detections.findings = [make_finding()]
    _analyse(api)
    pid = api.client.get("/api/v1/proposals").json()["proposals"][0]["id"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    bad = api.client.post(f"/api/v1/proposals/{pid}/snooze", json={"until": past})
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    ok = api.client.post(f"/api/v1/proposals/{pid}/snooze", json={"until": until.isoformat()})
    assert ok.status_code == 200
    assert datetime.fromisoformat(ok.json()["snoozed_until"]) == until


def test_problem_json_when_unknown_or_not_allowed(api: Any) -> None:
    missing = api.client.get("/api/v1/proposals/0123456789abcdef")
    assert missing.status_code == 404
    assert missing.json()["title"] == "Proposal not found"
    assert missing.json()["instance"] == "/api/v1/proposals/0123456789abcdef"
    api.detections.findings = [make_finding()]
    _analyse(api)
    pid = api.client.get("/api/v1/proposals").json()["proposals"][0]["id"]
    conflict = api.client.post(f"/api/v1/proposals/{pid}/implemented", json={})
    assert conflict.status_code == 409 and "approve" in conflict.json()["detail"]
    assert api.client.get("/api/v1/proposals", params={"cursor": "garbage"}).status_code == 422
    invalid = api.client.post("/api/v1/analyses", json={"window": "forever"})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"


def test_tokens_gate_reads_and_mutations_when_configured(secured: Any) -> None:
    client = secured.client
    assert client.get("/api/v1/proposals").status_code == 401
    assert client.get("/api/v1/proposals").headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/proposals", headers={"Authorization": "Bearer no"}).status_code \
        == 401
    assert client.get("/api/v1/proposals", headers=READER).status_code == 200
    assert client.post("/api/v1/analyses", json={}, headers=READER).status_code == 403
    secured.detections.findings = [make_finding()]
    assert client.post("/api/v1/analyses", json={}, headers=ADMIN).status_code == 200
    pid = client.get("/api/v1/proposals", headers=READER).json()["proposals"][0]["id"]
    assert client.post(f"/api/v1/proposals/{pid}/approve", headers=READER).status_code == 403
    assert client.post(f"/api/v1/proposals/{pid}/approve").status_code == 401
    approved = client.post(f"/api/v1/proposals/{pid}/approve", headers=ADMIN)
    assert approved.status_code == 200
    assert approved.json()["history"][-1]["actor"].startswith("admin-token:")
    assert client.get("/healthz").status_code == 200


def test_scorecards_summarize_the_agent_span_model(api: Any) -> None:
    now = datetime.now(UTC)
    insert_tool_calls(api.store.client, api.store.database, tool="search",
                      start=now - timedelta(hours=2), end=now, total=20, bad=5)
    insert_tool_calls(api.store.client, api.store.database, tool="fetch", agent="coder",
                      start=now - timedelta(hours=2), end=now, total=10, bad=0)
    tools = api.client.get("/api/v1/tools", params={"window": "24h"}).json()["tools"]
    assert [(t["tool"], t["calls"], t["errors"], t["failure_rate"]) for t in tools] == [
        ("search", 20, 5, 0.25), ("fetch", 10, 0, 0.0)]
    agents = api.client.get("/api/v1/agents").json()["agents"]
    assert {(a["agent"], a["tool_calls"], a["tool_failures"]) for a in agents} == {
        ("planner", 20, 5), ("coder", 10, 0)}
    matrix = api.client.get("/api/v1/delegations").json()
    assert matrix == {"window": "7d", "agents": [], "delegations": []}


def test_health_readiness_and_metrics(api: Any) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200
    api.detections.findings = [make_finding()]
    _analyse(api)
    text = api.client.get("/metrics").text
    assert 'gapwatch_proposals{status="open"} 1.0' in text
    assert "gapwatch_analysis_runs 1.0" in text
    assert 'route="/api/v1/analyses"' in text


def test_dates_without_a_zone_are_read_as_utc(api: Any) -> None:
    api.detections.findings = [make_finding()]
    _analyse(api)
    pid = api.client.get("/api/v1/proposals").json()["proposals"][0]["id"]
    snoozed = api.client.post(f"/api/v1/proposals/{pid}/snooze", json={"until": "2099-01-01"})
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["snoozed_until"] == "2099-01-01T00:00:00Z"
