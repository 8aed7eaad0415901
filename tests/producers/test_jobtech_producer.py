"""``skillpulse produce jobtech`` against a loopback JobSearch API serving a recorded search answer."""
from __future__ import annotations

import copy
import json

import pytest

from producerkit import FAST, FIXTURES, LoopbackApi, read_jsonl

RECORDED = json.loads((FIXTURES / "jobtech_search.json").read_text(encoding="utf-8"))
LIVE_IDS = {h["id"] for h in RECORDED["hits"] if not h["removed"]}  # the removed ad is never sent


class JobSearch:
    """Answers ``/search`` like JobSearch: published-after filter, newest first, offset/limit pages."""

    def __init__(self):
        self.hits = copy.deepcopy(RECORDED["hits"])

    def __call__(self, path, params, headers):
        if path != "/search":
            return 404, {"message": "not found"}
        after = params.get("published-after", [""])[0]
        hits = sorted((h for h in self.hits if h["publication_date"] > after),
                      key=lambda h: h["publication_date"], reverse=True)
        offset, limit = int(params["offset"][0]), int(params["limit"][0])
        return 200, {**RECORDED, "total": {"value": len(hits)}, "hits": hits[offset:offset + limit]}


@pytest.fixture
def api():
    with LoopbackApi(JobSearch()) as server:
        yield server


def produce(cli, api, out, *extra):
    return cli("produce", "jobtech", "--limit", "3", "--output", str(out), *FAST, *extra,
               env={"JOBTECH_API_BASE_URL": api.url})


def test_pages_through_every_ad_once_and_maps_the_contract(cli, api, data_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    result = produce(cli, api, out)
    assert result.exit_code == 0, result.output
    postings = read_jsonl(out)
    # 7 recorded ads, one removed by its employer: 6 sent, each once
    assert sorted(p["source_id"] for p in postings) == sorted(LIVE_IDS)
    assert "jobtech: fetched=7 sent=6 skipped=1 failed=0" in result.stdout
    assert "removed by the employer" in result.stderr
    # three pages of 3, newest first, with the user's filters (Stockholm county by default)
    assert [r["params"]["offset"] for r in api.ok_requests()] == [["0"], ["3"], ["6"]]
    first = api.ok_requests()[0]["params"]
    assert first["q"] == ["machine learning"] and first["region"] == ["01"] and first["sort"] == ["pubdate-desc"]
    klarna = next(p for p in postings if p["source_id"] == "28912345")
    assert klarna["title"] == "Machine Learning Engineer till fintech i Stockholm"
    assert klarna["company"] == "Klarna Bank AB"
    assert klarna["location"] == "Stockholm, Stockholms län"
    assert klarna["url"] == "https://arbetsformedlingen.se/platsbanken/annonser/28912345"
    assert klarna["posted_date"] == "2024-01-15" and klarna["source"] == "jobtech"
    assert "PyTorch" in klarna["description"] and klarna["must_have_skills"] == ["Python", "Maskininlärning"]
    # an ad with only the formatted text and no municipality still maps: text_formatted, city
    scania = next(p for p in postings if p["source_id"] == "28914220")
    assert "Spark" in scania["description"] and scania["location"] == "Södertälje, Stockholms län"


def test_survives_a_429_storm_a_500_a_timeout_and_malformed_json(cli, api, data_dir, tmp_path):
    out = tmp_path / "out.jsonl"
    # page 1: three 429s; page 2: a 500; page 3: a timeout, then a truncated JSON body
    api.faults.extend(["429", "429", "429", "ok", "500", "ok", "timeout", "badjson"])
    result = produce(cli, api, out)
    assert result.exit_code == 0, result.output
    assert sorted(p["source_id"] for p in read_jsonl(out)) == sorted(LIVE_IDS)  # every ad, once
    for reason in ("rate limited (HTTP 429)", "server error (HTTP 500)", "timeout", "malformed JSON"):
        assert reason in result.stderr


def test_gives_up_cleanly_and_a_restart_sends_only_what_is_missing(cli, api, data_dir, tmp_path):
    api.faults.extend(["ok", "500", "500", "500"])  # page 2 keeps failing
    first = produce(cli, api, tmp_path / "run1.jsonl", "--retries", "3")
    assert first.exit_code == 1
    assert "gave up after 3 tries: server error (HTTP 500)" in first.output
    assert "sent=3" in first.stdout  # page 1 was delivered and recorded, not lost
    cursor = json.loads((data_dir / "cursors" / "jobtech@jsonl.json").read_text())
    assert cursor["since"] is None  # an incomplete run does not move the cursor past unseen ads

    second = produce(cli, api, tmp_path / "run2.jsonl")
    assert second.exit_code == 0, second.output
    sent_twice = {p["source_id"] for p in read_jsonl(tmp_path / "run1.jsonl")} & {
        p["source_id"] for p in read_jsonl(tmp_path / "run2.jsonl")}
    assert not sent_twice
    assert {p["source_id"] for p in read_jsonl(tmp_path / "run1.jsonl") + read_jsonl(tmp_path / "run2.jsonl")} == LIVE_IDS


def test_the_cursor_makes_a_weekly_run_fetch_only_new_ads(cli, api, data_dir, tmp_path):
    assert produce(cli, api, tmp_path / "week1.jsonl").exit_code == 0
    new_ad = copy.deepcopy(RECORDED["hits"][0])
    new_ad.update(id="29000001", headline="Deep Learning Researcher", publication_date="2024-01-22T10:00:00")
    api.responder.hits.append(new_ad)
    api.requests.clear()

    week2 = produce(cli, api, tmp_path / "week2.jsonl")
    assert week2.exit_code == 0, week2.output
    assert [p["source_id"] for p in read_jsonl(tmp_path / "week2.jsonl")] == ["29000001"]
    # asked only for ads after the cursor (newest ad of week 1, minus a day of overlap)
    assert api.ok_requests()[0]["params"]["published-after"] == ["2024-01-14T09:12:44"]
    assert "cursor=2024-01-22T10:00:00" in week2.stdout


def test_an_unexpected_answer_is_a_clear_error(cli, data_dir, tmp_path):
    with LoopbackApi(lambda path, params, headers: (200, {"error": "maintenance"})) as odd:
        result = produce(cli, odd, tmp_path / "out.jsonl")
    assert result.exit_code == 1
    assert "no 'hits' list" in result.stderr
