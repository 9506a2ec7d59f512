"""GET /api/v1/report: the weekly review from the running server, as Markdown or HTML."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from proposal_factories import make_finding

from gapwatch.analyzer.analysis import Analyzer
from gapwatch.analyzer.app import create_app
from gapwatch.analyzer.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token-123"}
READER = {"Authorization": "Bearer reader-token-456"}


def test_report_comes_as_markdown_or_html_with_the_current_proposals(api: Any) -> None:
    api.detections.findings = [make_finding(tool="search")]
    assert api.client.post("/api/v1/analyses", json={"window": "24h"}).status_code == 200

    markdown = api.client.get("/api/v1/report", params={"format": "md", "window": "24h"})
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# Agent performance review")
    assert "search fails 10 times" in markdown.text and "Window 24h" in markdown.text

    html = api.client.get("/api/v1/report")  # HTML over the default window
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.startswith("<!DOCTYPE html>") and "Window 7d" in html.text
    # sample traces link to the UI's trace view on the server that was asked
    trace = f"{0:032x}"
    assert f'href="http://testserver/traces/{trace}"' in html.text


def test_trace_links_use_the_public_url_when_one_is_configured(
    store: Any, store_url: str
) -> None:
    settings = Settings(clickhouse_url=store_url, analysis_interval_minutes=0,
                        public_url="https://gapwatch.example.org/")
    analyzer = Analyzer(store, detect=lambda context: [make_finding(tool="search")])
    with TestClient(create_app(settings, store=store, analyzer=analyzer)) as client:
        client.post("/api/v1/analyses", json={})
        page = client.get("/api/v1/report", params={"format": "md"}).text
    assert f"(https://gapwatch.example.org/traces/{0:032x})" in page


def test_report_needs_a_reader_token_and_a_valid_window_and_format(secured: Any) -> None:
    assert secured.client.get("/api/v1/report").status_code == 401
    assert secured.client.get("/api/v1/report", headers=READER).status_code == 200
    assert secured.client.get("/api/v1/report", headers=ADMIN).status_code == 200
    for params, status in (({"window": "7 years"}, 422), ({"window": "999999d"}, 422),
                           ({"format": "pdf"}, 422)):
        answer = secured.client.get("/api/v1/report", params=params, headers=READER)
        assert answer.status_code == status, (params, answer.text)
