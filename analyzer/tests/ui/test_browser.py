"""The review flow in a real browser: Debian's headless Chromium driven by Playwright, against
the app under uvicorn on a loopback port, over the analysed demo fleet.

One browser session walks the whole flow (it is the slow part): sign in as a reader, filter
the inbox, open a proposal from the keyboard, follow a sample trace, inspect a span; then as
an admin approve with a reason and see the history change. Every page is checked for labelled
controls and text contrast, and photographed; the screenshots' folder is printed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from analyzer.tests.ui.harness import ADMIN_TOKEN, READER_TOKEN, DemoStore, LiveServer, make_app
from gapwatch.analyzer.proposals.repository import ProposalFilter
from gapwatch.analyzer.proposals.service import ProposalService

CHROMIUM = "/usr/bin/chromium"
MIN_CONTRAST = 4.5  # WCAG AA for body text
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# how far the page is wider than the window (scrolling inside a code block or chart is fine)
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"

# Every visible form control must be named by a <label> or aria-label.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)
               && !e.getAttribute('aria-label'))
  .map(e => e.outerHTML)"""

# The lowest contrast ratio of any visible text against the background it is drawn on.
LOWEST_CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => { for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
  let worst = {ratio: 21, text: ''};
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('svg') || !el.getClientRects().length) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = {ratio, text: el.textContent.trim().slice(0, 40)};
  }
  return worst;
}"""


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Page]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is required for this test: make browser (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=["--no-sandbox"],  # CI runs as root, where Chromium's sandbox cannot start
        )
        try:
            context = browser.new_context(viewport=DESKTOP)
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            yield context.new_page()
        finally:
            browser.close()


class Camera:
    def __init__(self, page: Page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)

    def check_and_shoot(self, name: str) -> None:
        """Accessibility basics of the page on screen, then its screenshot."""
        assert self.page.evaluate(UNLABELLED) == [], f"unlabelled controls on {name}"
        worst: dict[str, Any] = self.page.evaluate(LOWEST_CONTRAST)
        assert worst["ratio"] >= MIN_CONTRAST, f"{name}: {worst}"
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"),
                             full_page=True)


def test_review_flow_in_headless_chromium(browser_page: Page, demo: DemoStore,
                                          tmp_path: Path) -> None:
    page = browser_page
    camera = Camera(page, tmp_path / "screenshots")
    print(f"\nUI screenshots: {camera.folder}")
    target = demo.proposal("timeout_input_correlation")
    with LiveServer(make_app(demo, tokens=True)) as server:
        # a reader signs in; the token field is reached and submitted from the keyboard
        page.goto(server.url + "/")
        expect(page).to_have_url(server.url + "/login?next=%2F")
        camera.check_and_shoot("login")
        page.get_by_label("Token").fill(READER_TOKEN)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        still_open = ProposalService(demo.store).page(
            ProposalFilter(statuses=("open", "reopened")), limit=500).proposals
        assert still_open  # other tests decide on some demo proposals, never on all
        expect(page.locator("tr.proposal")).to_have_count(len(still_open))
        camera.check_and_shoot("inbox")

        # filter to one detector
        page.get_by_label("Detector").select_option("timeout_input_correlation")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("tr.proposal")).to_have_count(1)
        camera.check_and_shoot("inbox-filtered")

        # open the proposal with the keyboard alone
        link = page.locator(f'a[href="/proposals/{target["id"]}"]')
        for _ in range(40):
            page.keyboard.press("Tab")
            if link.evaluate("e => e === document.activeElement"):
                break
        else:
            pytest.fail("the proposal link cannot be reached with Tab")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{server.url}/proposals/{target['id']}")
        expect(page.locator("svg[data-chart=scatter] line.threshold")).to_have_count(1)
        expect(page.locator("#sql")).to_contain_text("gapwatch_agent_spans")
        expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # a reader
        page.get_by_role("button", name="Copy the SQL").click()
        expect(page.get_by_role("button", name="Copy the SQL")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "gapwatch_agent_spans" in copied and copied.startswith("--")
        camera.check_and_shoot("proposal-as-reader")
        page.set_viewport_size(PHONE)  # nothing wider than a phone's screen
        assert page.evaluate(OVERFLOW) <= 0, "the proposal page scrolls sideways on a phone"
        camera.check_and_shoot("proposal-on-a-phone")
        page.set_viewport_size(DESKTOP)

        # follow a sample trace to the waterfall, and open one span's attributes
        page.locator("a.trace-link").first.click()
        expect(page.get_by_role("heading", name="Trace")).to_be_visible()
        rows = page.locator("li.span-row")
        assert rows.count() > 3
        tool_row = page.locator("li.span-row[data-kind=tool]").first
        tool_row.locator("summary").click()
        expect(tool_row.locator("table.attrs")).to_be_visible()
        expect(tool_row.locator("table.attrs")).to_contain_text("gen_ai.tool.name")
        camera.check_and_shoot("trace")
        page.set_viewport_size(PHONE)
        assert page.evaluate(OVERFLOW) <= 0, "the trace view scrolls sideways on a phone"
        page.set_viewport_size(DESKTOP)

        # an admin approves with a reason; the history shows it
        page.get_by_role("button", name="Sign out").click()
        page.goto(f"{server.url}/login?next=/proposals/{target['id']}")
        page.get_by_label("Token").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/proposals/{target['id']}")
        before = page.locator("#history li").count()
        page.get_by_label("Reason").fill("chunk inputs above 5k lines")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator("#status")).to_have_text("approved")
        expect(page.locator("#history li")).to_have_count(before + 1)
        expect(page.locator("#history li").last).to_contain_text("chunk inputs above 5k lines")
        expect(page.locator("#history li").last).to_contain_text("admin-token:")
        camera.check_and_shoot("proposal-approved")

        page.goto(server.url + "/scorecards")
        expect(page.locator("svg[data-chart=heatmap]")).to_be_visible()
        camera.check_and_shoot("scorecards")
    assert len(list(camera.folder.glob("*.png"))) == 8
