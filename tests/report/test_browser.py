"""Open the report in headless Chromium: no console errors, no network, every image decodes, no script runs.

Needs the `playwright` Python package and a Chromium at /usr/bin/chromium (Debian: `apt-get install -y
chromium`; never `playwright install`). Skipped when either is missing, unless GANLAB_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ganlab.report import build_report

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
EVIL = "<script>alert(1)</script>"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _chromium() -> str | None:
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def _playwright():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright, reason = None, "the playwright package is not installed (pip install playwright)"
    if reason is None and _chromium() is None:
        reason = f"no Chromium at {CHROMIUM} or on PATH (apt-get install -y chromium)"
    if reason is not None:
        if os.environ.get("GANLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"GANLAB_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return sync_playwright


def test_report_renders_cleanly_in_chromium(new_sweep, tmp_path):
    sync_playwright = _playwright()
    variants = {"baseline": {}, "no_batchnorm": {"model.batchnorm": "none"}, EVIL: {"model.d_activation": "relu"}}
    report = build_report(new_sweep(variants=variants, seeds=4, name="browser"), tmp_path / "browser.html")

    console, page_errors, dialogs, requests = [], [], [], []
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=_chromium(), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900})
        try:
            context.route("**/*", lambda route: (requests.append(route.request.url), route.continue_()))
            page = context.new_page()
            page.on("console", lambda msg: console.append(msg) if msg.type == "error" else None)
            page.on("pageerror", lambda err: page_errors.append(str(err)))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(report.resolve().as_uri(), wait_until="load")

            images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth, e.alt])")
            rows = page.locator("#overview tbody tr").count()
            first_cells = page.locator("#overview tbody tr td:first-child").all_inner_texts()
            script_tags = page.locator("script").count()
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "report-browser.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot: {shot}")
        finally:
            context.close()

    assert not [m.text for m in console] and not page_errors
    assert not dialogs, f"a script ran: {dialogs}"
    assert script_tags == 0
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert len(images) >= 3 + 3 + 2 and all(done and width > 0 for done, width, _ in images), images
    assert rows == len(variants)
    assert [c.strip() for c in first_cells] == list(variants)  # the evil name is shown as text
