"""Callbacks through Dash's own HTTP endpoint (as the browser calls them) on a filled chDB."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from dashkit import dash_request, values

from dashboard.app import create_app
from skillpulse.domain.weeks import monday
from skillpulse.settings import Settings

STORE = {"start": None, "end": None, "sources": [], "levels": [], "categories": [], "min_ai": 0,
         "measure": "count", "map_mode": "2d"}
WIDGETS = ["f-dates.start_date", "f-dates.end_date", "f-source.value", "f-seniority.value", "f-category.value",
           "f-min-ai.value", "f-measure.value", "f-map.value"]
SYNC_OUTPUTS = [("url", "search"), ("filters", "data"), ("filter-notes", "children"), *(tuple(w.split(".")) for w in WIDGETS),
                ("csv-link", "href"), ("f-source", "options")]


@pytest.fixture(scope="module")
def web(filled_db):
    client, _ = filled_db
    app = create_app(client, Settings(), warm=False)
    yield app.server.test_client()
    app.server.config["skillpulse_data"].close()


def _sync(web, search=None, **widgets):
    inputs = [("url", "search", search)] + [(*w.split("."), widgets.get(w.split(".")[0].replace("-", "_"))) for w in WIDGETS]
    return dash_request(web, SYNC_OUTPUTS, inputs)["response"]


def test_kpis_describe_the_latest_week(web, filled_db):
    _, postings = filled_db
    weeks = Counter(monday(p.posted_date) for p in postings)
    last, prev = sorted(weeks)[-1], sorted(weeks)[-2]
    text = json.dumps(dash_request(web, [("kpis", "children"), ("freshness", "children")], [("filters", "data", STORE)]))
    assert f"{weeks[last]:,}" in text and "week in progress" in text  # the fixture ends on a Wednesday
    change = (weeks[last] - weeks[prev]) / weeks[prev] * 100
    assert f"{change:+.1f}%" in text
    top = Counter(s for p in postings if monday(p.posted_date) == last for s in p.extracted_skills).most_common(1)[0][0]
    assert f'"{top}"' in text


def test_share_toggle_turns_counts_into_percentages(web):
    counts = dash_request(web, [("g-seniority", "figure"), ("g-seniority-mix", "figure")], [("filters", "data", STORE)])
    shares = dash_request(web, [("g-seniority", "figure"), ("g-seniority-mix", "figure")],
                          [("filters", "data", dict(STORE, measure="share"))])
    by_count = values(counts["response"]["g-seniority"]["figure"]["data"][0])
    by_share = values(shares["response"]["g-seniority"]["figure"]["data"][0])
    assert sum(by_share) == pytest.approx(100.0)
    assert [round(c / sum(by_count) * 100, 6) for c in by_count] == pytest.approx(by_share)
    mix = shares["response"]["g-seniority-mix"]["figure"]
    week_totals = [sum(v) for v in zip(*(values(t) for t in mix["data"]), strict=False)]
    assert week_totals[0] == pytest.approx(100.0)
    assert shares["response"]["g-seniority"]["figure"]["layout"]["yaxis"]["title"]["text"] == "Share of postings (%)"


def test_url_drives_the_widgets_and_widgets_drive_the_url(web):
    got = _sync(web, "?seniority=lead&min_ai=0.5&measure=share&source=linkedin")
    assert got["f-seniority"]["value"] == ["lead"] and got["f-min-ai"]["value"] == 0.5
    assert got["filters"]["data"]["measure"] == "share"
    assert got["csv-link"]["href"] == "/download/postings.csv?source=linkedin&seniority=lead&min_ai=0.5&measure=share"
    web_inputs = [("url", "search", "")] + [
        ("f-dates", "start_date", "2026-10-01"), ("f-dates", "end_date", None), ("f-source", "value", []),
        ("f-seniority", "value", ["entry"]), ("f-category", "value", []), ("f-min-ai", "value", 0),
        ("f-measure", "value", "count"), ("f-map", "value", "3d")]
    payload = dash_request(web, SYNC_OUTPUTS, web_inputs, changed=["f-seniority.value"])["response"]
    assert payload["url"]["search"] == "?from=2026-10-01&seniority=entry&map=3d"


def test_hostile_link_gives_notes_and_an_empty_state(web):
    got = _sync(web, "?source=%27%20OR%201%3D1--&from=2026-02-31&to=99999-01-01&min_ai=-1&seniority=%3Cscript%3E")
    notes = json.dumps(got["filter-notes"]["children"])
    assert "use YYYY-MM-DD" in notes and "between 0 and 1" in notes and "Ignored unknown seniority" in notes
    store = got["filters"]["data"]
    volume = dash_request(web, [("g-volume", "figure")], [("filters", "data", store)])
    assert volume["response"]["g-volume"]["figure"]["layout"]["meta"]["empty"] == "No postings match these filters."


def test_table_callback_pages_and_sorts(web, filled_db):
    _, postings = filled_db

    def page(n, sort_model, store=STORE):
        request = {"startRow": 20 * n, "endRow": 20 * (n + 1), "sortModel": sort_model, "filterModel": {}}
        return dash_request(web, [("postings-table", "getRowsResponse"), ("table-summary", "children")],
                            [("postings-table", "getRowsRequest", request)], [("filters", "data", store)])["response"]
    first = page(0, [{"colId": "company", "sort": "desc"}])
    grid = first["postings-table"]["getRowsResponse"]
    assert grid["rowCount"] == len(postings) and len(grid["rowData"]) == 20
    assert grid["rowData"][0]["company"] == max(p.company or "" for p in postings)
    assert f"{len(postings):,} postings" in first["table-summary"]["children"]
    second = page(1, [{"colId": "company", "sort": "desc"}])["postings-table"]["getRowsResponse"]
    assert second["rowData"][0] != grid["rowData"][0]
    # AI scores travel with two decimals at most (no 0.6000000238418579 from the Float32 column)
    scores = [r["ai_relevance_score"] for r in grid["rowData"] + second["rowData"]]
    assert all(len(repr(s).split(".")[-1]) <= 2 for s in scores), scores
    senior = page(0, [], dict(STORE, levels=["senior"]))["postings-table"]["getRowsResponse"]
    assert senior["rowCount"] == sum(p.seniority_level.value == "senior" for p in postings)
    assert {r["seniority_level"] for r in senior["rowData"]} == {"senior"}


def test_csv_download_link_serves_the_filtered_rows(web, filled_db):
    _, postings = filled_db
    body = web.get("/download/postings.csv?seniority=lead").get_data(as_text=True)
    assert body.count("\n") == sum(p.seniority_level.value == "lead" for p in postings) + 1


def test_general_tech_view_counts_general_skills_beside_the_ai_view(web, filled_db):
    # Java, Git, PostgreSQL … are counted in their own view and never among the AI skills.
    _, postings = filled_db
    expected = Counter(s for p in postings for s in p.general_skills)
    assert expected, "the synthetic ads name general tech"
    fig = dash_request(web, [("g-general", "figure")], [("filters", "data", STORE)])["response"]["g-general"]["figure"]
    shown = {y: x for trace in fig["data"] for y, x in zip(trace["y"], values(trace, "x"), strict=True)}
    top = expected.most_common(1)[0]
    assert shown[top[0]] == top[1]
    assert {t["name"] for t in fig["data"]} == {"General tech"}
    ai = {s for p in postings for s in p.extracted_skills}
    assert not set(shown) & ai
