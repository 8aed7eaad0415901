"""Edge states render a sentence, never a traceback: no schema, no data, one week, no batch output,
and values with quotes that are real data (bound parameters match them exactly)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from dashboard.app import create_app
from skillpulse.settings import Settings
from dashkit import dash_request, enriched_postings, open_db, values

STORE = {"start": None, "end": None, "sources": [], "levels": [], "categories": [], "min_ai": 0,
         "measure": "count", "map_mode": "2d"}
VIEWS = [
    ([("kpis", "children"), ("freshness", "children")], "kpis"),
    ([("g-volume", "figure")], "g-volume"),
    ([("g-top-skills", "figure"), ("g-movers", "figure")], "g-movers"),
    ([("g-seniority", "figure"), ("g-seniority-mix", "figure")], "g-seniority"),
    ([("g-categories", "figure")], "g-categories"),
    ([("g-tiers", "figure")], "g-tiers"),
    ([("characteristic", "children")], "characteristic"),
    ([("g-clusters", "figure"), ("cluster-note", "children")], "g-clusters"),
    ([("candidates", "children")], "candidates"),
]


@pytest.fixture
def app_on(tmp_path):
    """``make(postings, migrate=True, clusters=False)`` -> (Flask test client, chDB client); closed after."""
    opened = []

    def make(postings=(), migrate=True, clusters=False):
        client = open_db(tmp_path / "ch", list(postings), clusters=clusters, migrate=migrate)
        app = create_app(client, Settings(), warm=False)
        opened.append((client, app))
        return app.server.test_client(), client

    yield make
    for client, app in opened:
        app.server.config["skillpulse_data"].close()
        client.close()


def _render_all(flask_client, store=STORE) -> str:
    """Every view's response as one JSON text (what the browser would draw)."""
    texts = []
    page = flask_client.get("/")
    assert page.status_code == 200
    for outputs, _ in VIEWS:
        texts.append(json.dumps(dash_request(flask_client, outputs, [("filters", "data", store)])))
    table = dash_request(flask_client, [("postings-table", "getRowsResponse"), ("table-summary", "children")],
                         [("postings-table", "getRowsRequest", {"startRow": 0, "endRow": 20, "sortModel": []})],
                         [("filters", "data", store)])
    texts.append(json.dumps(table))
    text = "\n".join(texts)
    assert "Traceback" not in text and "could not be drawn" not in text
    return text


def test_database_without_schema_says_to_migrate(app_on):
    flask_client, _ = app_on(migrate=False)
    text = _render_all(flask_client)
    assert "skillpulse db migrate" in text
    assert "skillpulse db migrate" in flask_client.get("/_dash-layout").get_data(as_text=True)  # the banner


def test_migrated_but_empty_database_says_how_to_feed_it(app_on):
    flask_client, _ = app_on()
    text = _render_all(flask_client)
    assert "No postings yet" in text and "make demo" in text
    assert "No skill clusters yet: run `skillpulse batch weekly`." in text
    assert "No skill candidates yet" in text
    assert flask_client.get("/download/postings.csv").status_code in (200, 503)


def test_a_single_week_fills_the_views_and_explains_movers(app_on):
    postings = [p for p in enriched_postings(400, weeks=1, end=dt.date(2026, 11, 22))]
    assert {p.posted_date.isocalendar()[1] for p in postings} == {47}
    flask_client, _ = app_on(postings)
    text = _render_all(flask_client)
    assert "Movers need two weeks" in text and "Needs two weeks in the selected range." in text
    assert "No skill clusters yet" in text
    volume = dash_request(flask_client, [("g-volume", "figure")], [("filters", "data", STORE)])
    assert values(volume["response"]["g-volume"]["figure"]["data"][0]) == [len({p.posting_key for p in postings})]


def test_quoted_values_are_data_matched_exactly(app_on):
    postings = enriched_postings(60, weeks=2)
    odd = [p.model_copy(update={"source": "O'Reilly \"Jobs\"; DROP TABLE x"}) for p in postings[:7]]
    flask_client, _ = app_on(postings[7:] + odd)
    store = dict(STORE, sources=["O'Reilly \"Jobs\"; DROP TABLE x"])
    volume = dash_request(flask_client, [("g-volume", "figure")], [("filters", "data", store)])
    ys = values(volume["response"]["g-volume"]["figure"]["data"][0])
    assert sum(ys) == len({p.posting_key for p in odd})
    csv_body = flask_client.get("/download/postings.csv?source=O%27Reilly+%22Jobs%22%3B+DROP+TABLE+x").get_data()
    assert csv_body.count(b"\n") == len({p.posting_key for p in odd}) + 1


def test_report_writes_the_seed_charts_and_cluster_plots(tmp_path):
    from dashboard.queries import ClientPool, DashboardData
    from dashboard.report import write_report

    client = open_db(tmp_path / "ch", enriched_postings(300, weeks=4), clusters=True)
    try:
        data = DashboardData(ClientPool(client, Settings()), "skillpulse")
        written, skipped = write_report(tmp_path / "out", data=data)
    finally:
        client.close()
    names = sorted(p.name for p in written)
    assert names == ["seniority_distribution.png", "skill_clusters_2d.png", "skill_clusters_3d.html",
                     "top_skills.png", "weekly_job_volume.png"]
    assert skipped == []
    for path in written:
        head = path.read_bytes()[:8]
        assert head.startswith(b"\x89PNG") if path.suffix == ".png" else b"<html" in path.read_bytes()[:200].lower()

