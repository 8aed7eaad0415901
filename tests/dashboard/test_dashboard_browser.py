"""End to end in headless Chromium: the page loads from a real chDB, a filter changes, charts follow.

Selenium drives Debian's chromium + chromium-driver (no downloads) against the app served by a real
WSGI server on a free loopback port in a thread (``make test`` installs Chromium when missing).
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from skillpulse.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def served(filled_db):
    """The dashboard on ``http://127.0.0.1:<free port>``; yields the base URL."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app

    client, _ = filled_db
    app = create_app(client, Settings())
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        app.server.config["skillpulse_data"].close()


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and not shutil.which("chromedriver"):
        pytest.skip("Chromium is missing: run `make browser` (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1440,2600"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _figure(driver, graph_id: str) -> dict:
    """The figure a dcc.Graph currently shows (Plotly keeps data/layout on the graph div)."""
    script = ("const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
              "if (!g || !g._fullData) return null;"
              "const arr = v => v == null ? [] : Array.from(v);"
              "return JSON.stringify({data: g._fullData.map(t => ({name: t.name, x: arr(t.x), y: arr(t.y)})),"
              " annotations: (g.layout.annotations || []).map(a => a.text)});")
    text = driver.execute_script(script, graph_id)
    return json.loads(text) if text else {}


def _wait(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    from selenium.common.exceptions import WebDriverException

    while time.monotonic() < deadline:
        try:
            value = predicate()
        except WebDriverException:  # the page is still rendering
            value = None
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _grid_column(driver, column: str) -> list[str]:
    """The texts of one column of the postings grid's rendered rows (AG Grid), top to bottom."""
    script = ("return Array.from(document.querySelectorAll('#postings-table .ag-center-cols-container .ag-row'))"
              ".sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))"
              ".map(r => { const c = r.querySelector('[col-id=\"' + arguments[0] + '\"]');"
              " return c ? c.textContent.trim() : null; });")
    return [t for t in driver.execute_script(script, column) if t]


def test_page_loads_filter_changes_charts_and_url(served, browser, filled_db, tmp_path):
    from selenium.webdriver.common.by import By

    _, postings = filled_db
    browser.get(served + "/")
    volume = _wait(lambda: (f := _figure(browser, "g-volume")) and f.get("data") and f, what="the volume chart")
    total_before = sum(volume["data"][0]["y"])
    assert total_before == len(postings), "the weekly volume adds up to every stored posting"
    kpis = _wait(lambda: (t := browser.find_element(By.ID, "kpis").text.lower()) and "postings, week of" in t and t,
                 what="the KPI cards")  # labels are upper-cased by CSS
    assert "ai-relevant roles" in kpis and "most demanded skill" in kpis
    top = _wait(lambda: (f := _figure(browser, "g-top-skills")) and f.get("data") and f, what="top skills")
    assert sum(len(t["y"]) for t in top["data"]) == 10
    # The postings grid: one page of 20 rows from the server, AI scores with two decimals.
    scores = _wait(lambda: len(s := _grid_column(browser, "ai_relevance_score")) == 20 and s, what="the postings grid")
    assert all(len(s) == 4 and s[1] == "." for s in scores), scores
    summary = browser.find_element(By.ID, "table-summary").text
    assert summary == f"{len(postings):,} postings"

    # Change a filter the way a user does: pick "Senior" in the seniority dropdown.
    browser.find_element(By.CSS_SELECTOR, "#f-seniority").click()
    option = _wait(lambda: [e for e in browser.find_elements(By.CSS_SELECTOR, "[role='option']")
                            if e.text.strip() == "Senior"], what="the Senior option")[0]
    option.click()
    browser.find_element(By.TAG_NAME, "h1").click()  # close the menu

    expected = sum(1 for p in postings if p.seniority_level.value == "senior")
    after = _wait(lambda: (f := _figure(browser, "g-volume")) and f.get("data")
                  and sum(f["data"][0]["y"]) != total_before and f, what="the volume chart to update")
    assert sum(after["data"][0]["y"]) == expected
    assert "seniority=senior" in browser.current_url, "the URL carries the filter state"
    _wait(lambda: [t["x"] for t in _figure(browser, "g-seniority").get("data", [])] == [["Senior"]],
          what="the seniority chart to show Senior only")
    _wait(lambda: set(_grid_column(browser, "seniority_level")) == {"senior"}, what="the grid to show senior rows only")
    _wait(lambda: browser.find_element(By.ID, "table-summary").text == f"{expected:,} postings",
          what="the grid's row count")

    # The link reproduces the view: open it fresh.
    link = browser.current_url
    browser.get("about:blank")
    browser.get(link)
    again = _wait(lambda: (f := _figure(browser, "g-volume")) and f.get("data") and f, what="the reloaded view")
    assert sum(again["data"][0]["y"]) == expected
    _wait(lambda: "Senior" in browser.find_element(By.ID, "f-seniority").text, what="the dropdown to show Senior")

    # A hostile link renders messages, not a traceback.
    browser.get(served + "/?source=%27%3B%20DROP%20TABLE%20postings_all%3B--&from=not-a-date&min_ai=9")
    notes = _wait(lambda: (t := browser.find_element(By.ID, "filter-notes").text) and "Ignored" in t and t,
                  what="the filter notes")
    assert "use YYYY-MM-DD" in notes and "between 0 and 1" in notes
    _wait(lambda: "No postings match these filters." in _figure(browser, "g-volume").get("annotations", []),
          what="the empty state of the volume chart")
    assert "Traceback" not in browser.page_source

    browser.get(served + "/")
    _wait(lambda: _figure(browser, "g-clusters").get("data"), what="the cluster map")
    _wait(lambda: "Run weekly-" in browser.find_element(By.ID, "candidates").text, what="the candidates")
    time.sleep(1.0)
    shot = tmp_path / "dashboard.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("SKILLPULSE_KEEP_SCREENSHOT"):  # a path: keep a copy for a human look
        shutil.copy(shot, os.environ["SKILLPULSE_KEEP_SCREENSHOT"])
