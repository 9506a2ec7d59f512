"""The UI's pages over the analysed demo fleet: what each shows, and what it refuses."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from analyzer.tests.ui.harness import DemoStore
from gapwatch.analyzer.ui.pages import cost_of
from gapwatch.analyzer.ui.templating import inline_code, since

ROW = re.compile(r'<tr class="proposal" data-detector="([a-z_]+)">')


def detectors_listed(html: str) -> list[str]:
    return ROW.findall(html)


def test_inbox_lists_every_proposal_by_priority_with_counts(open_ui: TestClient,
                                                           demo: DemoStore) -> None:
    html = open_ui.get("/?status=").text
    listed = detectors_listed(html)
    assert sorted(listed) == sorted(p["detector"] for p in demo.proposals)
    ranks = {"high": 0, "medium": 1, "low": 2}
    order = [ranks[p["priority"]] for p in demo.proposals]  # the API's order: priority first
    assert order == sorted(order)
    high = sum(p["priority"] == "high" for p in demo.proposals)
    assert f"{len(demo.proposals)} proposals: {high} high" in " ".join(html.split())
    assert "events in" in html and " ago" in html  # how much, since when


def test_inbox_filters_by_detector_agent_tool_service_and_search(open_ui: TestClient,
                                                                demo: DemoStore) -> None:
    assert detectors_listed(open_ui.get("/?status=&detector=soft_failure").text) == [
        "soft_failure"]
    by_agent = detectors_listed(open_ui.get("/?status=&agent=reviewer").text)
    assert by_agent and len(by_agent) == sum(
        p["subject"]["agent"] == "reviewer" for p in demo.proposals)
    assert detectors_listed(open_ui.get("/?status=&tool=lsp_find_references").text) == [
        p["detector"] for p in demo.proposals if p["subject"]["tool"] == "lsp_find_references"]
    assert detectors_listed(open_ui.get("/?status=&service=support-bot").text) == []
    assert detectors_listed(open_ui.get("/?status=&q=QUOTA+exceeded").text) == ["soft_failure"]
    empty = open_ui.get("/?status=&q=no-such-thing-anywhere").text
    assert detectors_listed(empty) == [] and "Nothing here" in empty


def test_inbox_filter_controls_have_labels_and_keep_their_values(open_ui: TestClient) -> None:
    html = open_ui.get("/?status=&detector=soft_failure&q=loops").text
    for name in ("status", "detector", "agent", "tool", "service", "q"):
        assert f'<label for="f-{name}">' in html and f'id="f-{name}"' in html
    assert '<option value="soft_failure" selected>' in html and 'value="loops"' in html


def test_proposal_page_shows_evidence_chart_sql_traces_and_history(open_ui: TestClient,
                                                                  demo: DemoStore) -> None:
    proposal = demo.proposal("timeout_input_correlation")
    html = open_ui.get(f"/proposals/{proposal['id']}").text
    for part in ("Proposed change", "Expected impact", "Risk", "Reproduce the evidence",
                 "History", "raised by analysis"):
        assert part in html, part
    assert 'data-chart="scatter"' in html and 'class="threshold"' in html
    assert 'data-chart="line"' in html  # failure rate over time of the same subject
    assert "FROM {database:Identifier}" in html  # the exact SQL, escaped but intact
    assert '&#34;subjects&#34;' in html or '"subjects"' in html  # and its parameters
    for trace_id in proposal["evidence"]["traces"]:
        assert f'href="/traces/{trace_id}"' in html
    assert "Related findings merged" in html  # the hotspot on the same tool is merged into it


def test_proposal_charts_fit_their_detector(open_ui: TestClient, demo: DemoStore) -> None:
    delegation = open_ui.get(f"/proposals/{demo.proposal('delegation_failure')['id']}").text
    assert "Delegation outcomes" in delegation and 'data-chart="bars"' in delegation
    hotspot = open_ui.get(f"/proposals/{demo.proposal('tool_failure_hotspot')['id']}").text
    assert 'data-chart="line"' in hotspot and 'data-chart="scatter"' not in hotspot


def test_unknown_proposal_and_trace_are_404_pages(open_ui: TestClient) -> None:
    for path in ("/proposals/nope", "/traces/" + "ab" * 16):
        response = open_ui.get(path)
        assert response.status_code == 404 and "text/html" in response.headers["content-type"]
        assert "<h1>Not found</h1>" in response.text
    assert open_ui.get("/traces/not-hex").status_code == 422


def test_trace_page_draws_every_span_in_tree_order(open_ui: TestClient,
                                                   demo: DemoStore) -> None:
    trace_id = demo.proposal("tool_failure_hotspot")["evidence"]["traces"][0]
    api = open_ui.get(f"/api/v1/traces/{trace_id}").json()
    html = open_ui.get(f"/traces/{trace_id}").text
    assert html.count('class="span-row') == len(api["spans"]) > 3
    assert 'class="span-row error"' in html  # the failing call the finding points at
    kinds = re.findall(r'data-kind="([a-z]*)"', html)
    assert kinds[0] == "agent" and {"tool", "llm"} <= set(kinds)


def test_scorecards_show_agents_tools_and_the_delegation_heatmap(open_ui: TestClient) -> None:
    html = open_ui.get("/scorecards").text
    assert 'id="agents"' in html and ">planner<" in html
    assert 'id="tools"' in html and ">run_tests<" in html and 'class="mix"' in html
    assert 'data-chart="heatmap"' in html and "summarizer" in html
    assert open_ui.get("/scorecards?window=forever").status_code == 422


def test_review_is_the_report_computed_now_inside_the_ui(open_ui: TestClient) -> None:
    html = open_ui.get("/review?window=7d").text
    assert "Agent performance review" in html and 'href="/scorecards"' in html
    assert 'href="/traces/' in html  # sample traces link to the trace view


def test_docs_work_without_the_internet(open_ui: TestClient) -> None:
    html = open_ui.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in html and "/docs-assets/swagger-ui.css" in html
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert open_ui.get(f"/docs-assets/{asset}").status_code == 200
    assert open_ui.get("/openapi.json").json()["paths"]["/api/v1/traces/{trace_id}"]
    assert "/" not in open_ui.get("/openapi.json").json()["paths"]  # pages are not API


def test_ui_static_files_are_served_by_the_package(open_ui: TestClient) -> None:
    css = open_ui.get("/ui-static/gapwatch.css")
    assert css.status_code == 200 and "waterfall" in css.text
    assert open_ui.get("/ui-static/gapwatch.js").status_code == 200


def test_inline_code_escapes_and_marks_backticks() -> None:
    assert str(inline_code("`a<b>` fails")) == "<code>a&lt;b&gt;</code> fails"
    assert str(inline_code("odd ` tick <x>")) == "odd ` tick &lt;x&gt;"


def test_since_reads_in_the_largest_whole_unit() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 10, tzinfo=UTC)
    assert since(now - timedelta(days=2, hours=5), now) == "2 d ago"
    assert since((now - timedelta(minutes=90)).isoformat(), now) == "1 h ago"
    assert since(now, now) == "just now" and since(None, now) == "—"


def test_inbox_says_what_each_gap_costs(open_ui: TestClient) -> None:
    html = " ".join(open_ui.get("/?status=").text.split())
    assert "tokens wasted" in html  # cost_waste
    assert re.search(r"\d+% of [\d,]+ fail", html)  # failure hotspots, soft failures


def test_cost_reads_the_evidence_metrics() -> None:
    def proposal(**metrics: object) -> dict[str, object]:
        return {"evidence": {"metrics": metrics}}

    assert cost_of(proposal(wasted_tokens=96974.0, waste_share=0.24)) == "96,974 tokens wasted"
    assert cost_of(proposal(failure_rate=0.3172, calls=145)) == "32% of 145 fail"
    assert cost_of(proposal(negative_rate=1.0, rated=36)) == "100% of 36 fail"
    assert cost_of(proposal(offers=96, calls=0)) == ""
