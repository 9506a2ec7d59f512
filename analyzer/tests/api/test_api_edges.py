"""Bad input is refused at the edge with 422, engine errors never reach a client, and rows that
no longer make sense (written before the checks, or by hand) cannot break an analysis."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from proposal_factories import make_finding

from gapwatch.analyzer.proposals.model import proposal_id

ENGINE_WORDS = ("DB::Exception", "Code:", "SELECT", "gapwatch_proposals", "chdb")
# µs since 1970 of 0227-01-01: far before DateTime64's 1900, the shape an unchecked "at" left
ANCIENT_US = -55_000_000_000_000_000


def _cursor(*position: Any) -> str:
    raw = json.dumps(list(position)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert not any(word in body["detail"] for word in ENGINE_WORDS), body
    return body


def _one_proposal(api: Any) -> str:
    api.detections.findings = [make_finding(tool="search")]
    assert api.client.post("/api/v1/analyses", json={}).status_code == 200
    pid: str = api.client.get("/api/v1/proposals").json()["proposals"][0]["id"]
    return pid


# each case costs a fresh schema, so one test walks a list of them
BAD_CURSORS = [
    "garbage", "e30", _cursor(9, 0, "x"), _cursor(-1, 0, "x"), _cursor(1, 1.5, "x"),
    _cursor(1, 2**70, "x"), _cursor(1, 0, 7), _cursor(1, 0, "x" * 300), _cursor(1, 0),
    _cursor(True, 0, "x"),
]
BAD_MOMENTS = [
    "0232-08-08T00:00:00Z", "0001-01-01T00:00:00", "1999-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00",
]
BAD_READS = [
    ("/api/v1/proposals", {"status": "bogus"}),
    ("/api/v1/proposals", {"status": "open,bogus"}),
    ("/api/v1/proposals", {"priority": "urgent"}),
    ("/api/v1/proposals", {"detector": "x' OR 1=1 --"}),
    ("/api/v1/proposals", {"agent": "planner\x00"}),
    ("/api/v1/proposals", {"tool": "a\nb"}),
    ("/api/v1/proposals", {"limit": "0"}),
    ("/api/v1/proposals/not-a-proposal-id", {}),
    ("/api/v1/proposals/0123456789ABCDEF", {}),
    ("/api/v1/agents", {"window": "0m"}),
    ("/api/v1/tools", {"window": "999999w"}),
    ("/api/v1/delegations", {"window": "367d"}),
]
BAD_ANALYSES: list[dict[str, Any]] = [
    {"window": "0m"}, {"window": "53w"}, {"window": "7d", "dry_run": "sometimes"},
    {"window": "7d", "extra": 1},
]


def test_cursor_is_refused_with_422_when_it_was_not_handed_out(api: Any) -> None:
    for cursor in BAD_CURSORS:
        body = _problem(api.client.get("/api/v1/proposals", params={"cursor": cursor}), 422)
        assert "cursor" in body["detail"]


def test_cursor_of_any_representable_time_pages_without_an_engine_error(api: Any) -> None:
    _one_proposal(api)
    # year 1 and year 9999: before the fix the engine refused the bound DateTime64 with a 503
    for micros in (-62_135_596_800_000_000, 253_402_300_799_000_000):
        response = api.client.get("/api/v1/proposals", params={"cursor": _cursor(1, micros, "")})
        assert response.status_code == 200, response.text


def test_times_outside_2000_to_2200_are_refused_with_422(api: Any) -> None:
    pid = _one_proposal(api)
    assert api.client.post(f"/api/v1/proposals/{pid}/approve", json={}).status_code == 200
    for moment in BAD_MOMENTS:
        shipped = api.client.post(f"/api/v1/proposals/{pid}/implemented", json={"at": moment})
        assert "at" in _problem(shipped, 422)["detail"]
        snoozed = api.client.post(f"/api/v1/proposals/{pid}/snooze", json={"until": moment})
        assert "until" in _problem(snoozed, 422)["detail"]
    # and nothing was stored that could break the next analysis
    assert api.client.post("/api/v1/analyses", json={}).status_code == 200


def test_input_is_refused_with_422_when_out_of_its_domain(api: Any) -> None:
    for path, params in BAD_READS:
        _problem(api.client.get(path, params=params), 422)
    for body in BAD_ANALYSES:
        _problem(api.client.post("/api/v1/analyses", json=body), 422)
    action = api.client.post("/api/v1/proposals/not-an-id/approve", json={})
    _problem(action, 422)


def test_filters_accept_every_known_value(api: Any) -> None:
    _one_proposal(api)
    listed = api.client.get("/api/v1/proposals", params={
        "status": "open,approved,rejected,snoozed,implemented,verified,regressed,reopened",
        "priority": "high, medium,low", "detector": "tool_failure_hotspot,retry_loop",
        "agent": "planner", "tool": "search",
    })
    assert listed.status_code == 200 and len(listed.json()["proposals"]) == 1
    action = api.client.post("/api/v1/proposals/0123456789abcdef/approve", json={})
    assert _problem(action, 404)["title"] == "Proposal not found"


def test_engine_errors_are_logged_not_sent_when_the_store_fails(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api.store.client.command(f"DROP TABLE {api.store.database}.gapwatch_proposals SYNC")
    with caplog.at_level(logging.WARNING):
        body = _problem(api.client.get("/api/v1/proposals"), 503)
    error_id = body["detail"].rsplit(" ", 1)[-1]
    assert len(error_id) == 12 and body["title"] == "Store unavailable"
    logged = [r.getMessage() for r in caplog.records if error_id in r.getMessage()]
    assert logged and "gapwatch_proposals" in logged[0]


def _insert_odd_row(api: Any, pid: str, **columns: str) -> None:
    """A proposal row written straight into the table, each column as a SQL expression."""
    values = {
        "id": f"'{pid}'", "detector": "'tool_failure_hotspot'", "type": "'tool_improvement'",
        "priority": "'high'", "confidence": "0.8", "status": "'open'", "title": "'odd'",
        "subject": "'{}'", "evidence": "'{}'", "verification": "'{}'",
        "created_at": "now64(6)", "updated_at": "now64(6)",
    }
    values.update(columns)
    api.store.client.command(
        f"INSERT INTO {api.store.database}.gapwatch_proposals ({', '.join(values)}) "
        f"SELECT {', '.join(values.values())}"
    )


def test_odd_stored_rows_cannot_break_an_analysis_or_a_listing(api: Any) -> None:
    finding = make_finding(tool="search")
    ancient = f"fromUnixTimestamp64Micro(toInt64({ANCIENT_US}), 'UTC')"
    # what an unchecked "at" left behind, on the very proposal the analysis finds again
    _insert_odd_row(api, proposal_id(finding.detector, finding.subject), status="'implemented'",
                    implemented_at=ancient, created_at=ancient, updated_at=ancient)
    _insert_odd_row(api, "a" * 16, status="'snoozed'", snoozed_until=ancient)
    _insert_odd_row(api, "b" * 16, status="'implemented'", implemented_at=ancient,
                    created_at=ancient)
    _insert_odd_row(api, "c" * 16, priority="'urgent'")
    _insert_odd_row(api, "d" * 16, status="'bogus'")
    _insert_odd_row(api, "e" * 16, confidence="7", subject="'null'", evidence="'[1]'")
    _insert_odd_row(api, "f" * 16, evidence="""'{"count": "x", "first_seen": "yesterday"}'""")
    _insert_odd_row(api, "0" * 16, verification="'not json'")
    api.detections.findings = [finding]
    for _ in range(2):
        run = api.client.post("/api/v1/analyses", json={})
        assert run.status_code == 200, run.text
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = api.client.get("/api/v1/proposals", params=params)
        assert page.status_code == 200, page.text
        seen += [p["id"] for p in page.json()["proposals"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) >= 4
    for pid in seen:
        assert api.client.get(f"/api/v1/proposals/{pid}").status_code == 200
