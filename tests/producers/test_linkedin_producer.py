"""``skillpulse produce linkedin`` against a loopback RapidAPI endpoint serving a recorded answer."""
from __future__ import annotations

import copy
import json
import logging

import pytest

from producerkit import FAST, FIXTURES, LoopbackApi, read_jsonl

RECORDED = json.loads((FIXTURES / "linkedin_active_jb_7d.json").read_text(encoding="utf-8"))
ALL_IDS = {j["id"] for j in RECORDED}
KEY = "9f3c1e7a5bmsh0d4e2c6b8a1f3e5p1c7d9ejsn2b4d6f8a0c1e"  # looks like a RapidAPI key; fake


class RapidApi:
    """Answers ``/active-jb-7d`` like the LinkedIn Job Search API: a JSON array, date_filter, offset/limit."""

    def __init__(self):
        self.jobs = copy.deepcopy(RECORDED)

    def __call__(self, path, params, headers):
        if headers.get("x-rapidapi-key") != KEY:
            # a careless gateway echoing the key: our messages must still never show it
            return 403, {"message": f"Invalid API key {headers.get('x-rapidapi-key')}. Go to https://rapidapi.com"}
        if path != "/active-jb-7d":
            return 404, {"message": "Endpoint '/x' does not exist"}
        after = params.get("date_filter", [""])[0]
        jobs = sorted((j for j in self.jobs if j["date_posted"] > after), key=lambda j: j["date_posted"], reverse=True)
        offset, limit = int(params["offset"][0]), int(params["limit"][0])
        return 200, jobs[offset:offset + limit]


@pytest.fixture
def api():
    with LoopbackApi(RapidApi()) as server:
        yield server


def produce(cli, api, out, *extra, key=KEY):
    env = {"LINKEDIN_API_BASE_URL": api.url}
    if key:
        env["RAPID_API_KEY"] = key
    return cli("produce", "linkedin", "--limit", "3", "--output", str(out), *FAST, *extra, env=env)


def test_a_missing_key_says_how_to_set_it(cli, api, data_dir, tmp_path):
    result = produce(cli, api, tmp_path / "out.jsonl", key=None)
    assert result.exit_code == 2
    assert "RAPID_API_KEY is not set" in result.stderr and "export RAPID_API_KEY=" in result.stderr
    assert api.requests == []  # nothing was attempted without a key


def test_pages_maps_and_never_shows_the_key(cli, api, data_dir, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # httpx/httpcore debug logs included
    api.faults.extend(["429", "ok", "500"])
    result = produce(cli, api, "-")
    assert result.exit_code == 0, result.output
    postings = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(p["source_id"] for p in postings) == sorted(ALL_IDS)  # 7 ads over 3 pages, once each
    assert "linkedin: fetched=7 sent=7 skipped=0 failed=0" in result.stderr  # summary off stdout when it carries data
    # the key travels only in RapidAPI's headers, with the default search
    request = api.ok_requests()[0]
    assert request["headers"]["x-rapidapi-key"] == KEY
    assert request["headers"]["x-rapidapi-host"] == "linkedin-job-search-api.p.rapidapi.com"
    assert request["params"]["title_filter"] == ["machine learning"]
    assert request["params"]["location_filter"] == ["Stockholm"]
    for text in (result.stdout, result.stderr, caplog.text):
        assert KEY not in text
    assert not data_dir.exists()  # a stdout preview keeps no cursor or ledger
    klarna = next(p for p in postings if p["source_id"] == "4123456789")
    assert klarna["title"] == "Machine Learning Engineer" and klarna["company"] == "Klarna"
    assert klarna["location"] == "Stockholm, Stockholm County, Sweden"
    assert klarna["url"].startswith("https://se.linkedin.com/jobs/view/") and klarna["url"].endswith("4123456789")
    assert klarna["posted_date"] == "2024-01-15" and klarna["source"] == "linkedin"
    assert "PyTorch" in klarna["description"] and klarna["seniority"] == "Mid-Senior level"
    intern = next(p for p in postings if p["source_id"] == "4123459555")
    assert intern["location"] == "Kista, SE"  # no derived location: built from locations_raw


def test_a_wrong_key_is_a_clear_error_without_echoing_it(cli, api, data_dir, tmp_path):
    wrong = "0000aaaa1111bbbbmsh2222cccc3333p1dddd4444jsn5555eeee"
    result = produce(cli, api, tmp_path / "out.jsonl", key=wrong)
    assert result.exit_code == 1
    assert "refused the request (HTTP 403" in result.stderr and "API key" in result.stderr
    assert wrong not in result.output


def test_survives_429_storm_timeout_and_malformed_json(cli, api, data_dir, tmp_path):
    api.faults.extend(["429"] * 4 + ["ok", "timeout", "badjson", "ok", "503"])
    out = tmp_path / "out.jsonl"
    result = produce(cli, api, out)
    assert result.exit_code == 0, result.output
    assert sorted(p["source_id"] for p in read_jsonl(out)) == sorted(ALL_IDS)
    assert result.stderr.count("rate limited (HTTP 429)") == 4


def test_a_429_storm_that_never_ends_gives_up_with_a_clear_message(cli, api, data_dir, tmp_path):
    api.faults.extend(["429"] * 10)
    result = produce(cli, api, tmp_path / "out.jsonl", "--retries", "4")
    assert result.exit_code == 1
    assert "gave up after 4 tries: rate limited (HTTP 429)" in result.stderr
    assert len(api.requests) == 4
    assert "fetched=0 sent=0" in result.stdout
    assert KEY not in (data_dir / "cursors" / "linkedin@jsonl.json").read_text()


def test_weekly_runs_ask_only_for_new_ads_and_never_resend(cli, api, data_dir, tmp_path):
    assert produce(cli, api, tmp_path / "w1.jsonl").exit_code == 0
    fresh = copy.deepcopy(RECORDED[0])
    fresh.update(id="4199999999", title="NLP Engineer", date_posted="2024-01-20T09:00:00")
    api.responder.jobs.append(fresh)
    api.requests.clear()
    week2 = produce(cli, api, tmp_path / "w2.jsonl")
    assert week2.exit_code == 0, week2.output
    assert [p["source_id"] for p in read_jsonl(tmp_path / "w2.jsonl")] == ["4199999999"]
    assert api.ok_requests()[0]["params"]["date_filter"] == ["2024-01-14T08:31:12"]
    # --full ignores the cursor, and the ledger still keeps every ad from being sent twice
    full = produce(cli, api, tmp_path / "w3.jsonl", "--full")
    assert full.exit_code == 0 and read_jsonl(tmp_path / "w3.jsonl") == []
    assert "skipped 8: already sent" in full.stderr


def test_max_pages_keeps_the_cursor_in_place(cli, api, data_dir, tmp_path):
    result = produce(cli, api, tmp_path / "out.jsonl", "--max-pages", "1")
    assert result.exit_code == 0, result.output
    assert "sent=3" in result.stdout and "stopped before the end" in result.stderr
    assert json.loads((data_dir / "cursors" / "linkedin@jsonl.json").read_text())["since"] is None
    rest = produce(cli, api, tmp_path / "rest.jsonl")
    assert rest.exit_code == 0, rest.output
    assert len(read_jsonl(tmp_path / "rest.jsonl")) == 4  # the other four, not the first three again
