"""/download/postings.csv: bounded concurrency (429), a row cap, formula-injection escaping; generic
error bodies and /healthz with no connection details."""
from __future__ import annotations

import csv
import io

import pytest
from dashkit import enriched_postings, open_db

from dashboard.app import create_app
from skillpulse.settings import Settings


@pytest.fixture
def served(tmp_path):
    """``make(settings)`` -> Flask test client on 60 postings, 3 of them with formula-like cells."""
    opened = []
    postings = enriched_postings(60, weeks=2)
    hostile = [postings[0].model_copy(update={"title": "=HYPERLINK(\"http://x\")", "posting_key": "k-eq"}),
               postings[1].model_copy(update={"company": "+1 234", "posting_key": "k-plus"}),
               postings[2].model_copy(update={"location": "@SUM(A1)", "posting_key": "k-at"})]
    client = open_db(tmp_path / "ch", postings[3:] + hostile)

    def make(settings: Settings):
        app = create_app(client, settings, warm=False)
        opened.append(app)
        return app.server.test_client()
    yield make
    for app in opened:
        app.server.config["skillpulse_data"].close()
    client.close()


def rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_cells_a_spreadsheet_would_run_are_escaped(served):
    web = served(Settings())
    got = rows(web.get("/download/postings.csv").get_data())
    titles = {r["title"] for r in got}
    assert "'=HYPERLINK(\"http://x\")" in titles and not any(t.startswith("=") for t in titles)
    assert "'+1 234" in {r["company"] for r in got} and "'@SUM(A1)" in {r["location"] for r in got}
    for row in got:
        for name in ("title", "company", "location", "source", "skills", "url"):
            assert not row[name][:1] in ("=", "+", "-", "@"), row


def test_the_row_cap_holds(served):
    web = served(Settings(csv_max_rows=7))
    assert len(rows(web.get("/download/postings.csv").get_data())) == 7


def test_downloads_beyond_the_limit_get_429_and_the_slot_frees_again(served):
    web = served(Settings(csv_max_concurrent=1))
    first = web.get("/download/postings.csv", buffered=False)  # streaming: holds its slot
    second = web.get("/download/postings.csv")
    assert first.status_code == 200 and second.status_code == 429 and second.headers["Retry-After"]
    first.get_data()
    first.close()
    assert web.get("/download/postings.csv").status_code == 200


def test_error_bodies_and_healthz_hold_no_connection_details(tmp_path):
    settings = Settings(clickhouse_url="http://user:hunter2@127.0.0.1:1")
    app = create_app(None, settings, warm=False)
    try:
        web = app.server.test_client()
        health = web.get("/healthz")
        download = web.get("/download/postings.csv")
        page = web.get("/_dash-layout").get_data(as_text=True)
    finally:
        app.server.config["skillpulse_data"].close()
    assert health.status_code == 503 and health.get_json() == {"status": "unavailable"}
    assert download.status_code == 503 and b"127.0.0.1" not in download.get_data()
    assert "hunter2" not in page
