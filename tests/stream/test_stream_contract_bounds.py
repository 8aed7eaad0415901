"""The raw contract's bounds, error kinds of the sink, secret redaction, partial replays (pure code)."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from schemas.postings import ContractBounds, MAX_EXTRA_FIELDS, find_control, parse_raw_posting
from skillpulse.settings import Settings, redact_text, redact_url
from skillpulse.storage import sighting_version
from stream_processors.errors import is_transient, server_code
from stream_processors.validate import Rejected, decode_posting

BASE = {"title": "ML Engineer", "description": "Python", "posted_date": "2024-02-01", "source": "s"}


def reason(**fields) -> str:
    with pytest.raises(Rejected) as info:
        decode_posting(json.dumps({**BASE, **fields}).encode())
    return str(info.value)


def test_dates_outside_the_bounds_are_rejected_naming_the_field():
    assert reason(posted_date="1800-01-01").startswith("posted_date: 1800-01-01 is before 1990-01-01")
    assert reason(posted_date="2200-01-01").startswith("posted_date: 2200-01-01 is more than 365 day(s) ahead")
    assert reason(scraped_at="1850-01-01T00:00:00Z").startswith("scraped_at: 1850-01-01 is before")
    next_month = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert decode_posting(json.dumps({**BASE, "posted_date": next_month}).encode()).posted_date.isoformat() == next_month


def test_bounds_are_configurable():
    bounds = Settings(posted_date_min=dt.date(2020, 1, 1), posted_date_max_days_ahead=0).contract_bounds
    assert bounds == ContractBounds(dt.date(2020, 1, 1), 0)
    with pytest.raises(Rejected, match="posted_date: 2019-12-31 is before 2020-01-01"):
        decode_posting(json.dumps({**BASE, "posted_date": "2019-12-31"}).encode(), bounds)
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    with pytest.raises(Rejected, match="posted_date: .* ahead"):
        decode_posting(json.dumps({**BASE, "posted_date": tomorrow}).encode(), bounds)


@pytest.mark.parametrize("name", ["title", "description", "company", "location", "source", "url"])
def test_nul_and_control_characters_are_rejected_naming_the_field(name):
    assert reason(**{name: "abc\u0000def"}).startswith(f"{name}: control character U+0000 at position 3")
    assert reason(**{name: "abc\u001bdef"}).startswith(f"{name}: control character U+001B")


def test_tabs_and_newlines_are_text():
    posting = decode_posting(json.dumps({**BASE, "description": "Python\tSQL\r\nSpark"}).encode())
    assert posting.description == "Python\tSQL\r\nSpark"
    assert find_control("x" * 200_000) == -1 and find_control("x" * 100_000 + "\u0000") == 100_000


def test_extra_fields_are_kept_within_caps():
    assert parse_raw_posting({**BASE, "salary": "50k"}).model_extra == {"salary": "50k"}
    assert reason(**{f"f{i}": 1 for i in range(MAX_EXTRA_FIELDS + 1)}).startswith(
        f"extra: {MAX_EXTRA_FIELDS + 1} unknown fields, at most {MAX_EXTRA_FIELDS}")
    assert reason(blob="y" * 70_000).startswith("extra: unknown fields take")
    assert reason(**{"bad\u0000name": 1}).startswith("extra: field name")


def test_the_earliest_sighting_has_the_greatest_version():
    sightings = [(1_000, 2, 50), (1_000, 2, 51), (1_000, 3, 0), (1_001, 0, 0), (5_000, 0, 9)]
    versions = [sighting_version(*s) for s in sightings]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert sighting_version(0, 0, 0) < (1 << 128)


@pytest.mark.parametrize(("error", "transient"), [
    (ConnectionRefusedError("connection refused"), True),
    (TimeoutError("read timed out"), True),
    (RuntimeError("Code: 252. DB::Exception: Too many parts (300)"), True),
    (RuntimeError("Code: 159. DB::Exception: Timeout exceeded"), True),
    (RuntimeError("Cannot lock file /data/clickhouse/status. Another server instance in same directory"), True),
    (Exception("HTTP driver received HTTP status 503"), True),
    (Exception("Received ClickHouse exception, code: 241, server response: Code: 241. Memory limit"), True),
    (Exception("Received ClickHouse exception, code: 469, server response: Code: 469. Constraint"), False),
    (RuntimeError("Code: 469. DB::Exception: Constraint `no_poison` for table postings_all is violated"), False),
    (RuntimeError("Code: 27. DB::Exception: Cannot parse input"), False),
    (ValueError("date value out of range"), False),
    (OverflowError("int too big to convert"), False),
    (TypeError("unsupported operand"), False),
])
def test_errors_are_split_by_kind(error, transient):
    assert is_transient(error) is transient
    assert server_code("Code: 469. DB::Exception") == 469 and server_code("no code") is None


def test_passwords_are_masked_in_urls_and_messages():
    assert redact_url("http://skillpulse:s3cr3t@clickhouse:8123/db") == "http://skillpulse:***@clickhouse:8123/db"
    assert redact_url("chdb:///tmp/x") == "chdb:///tmp/x"
    text = "cannot open ClickHouse at https://u:p%40ss@h:8443?x=1: refused; retry http://a:b@c"
    assert "p%40ss" not in redact_text(text) and ":b@" not in redact_text(text)
    assert Settings(clickhouse_url="http://u:hunter2@h:8123").display_clickhouse_url == "http://u:***@h:8123"
    assert redact_text("://" * 100_000 + "@") .count("***") <= 1  # linear on hostile text


def test_connect_errors_never_show_the_password():
    from skillpulse.storage import StorageError, connect

    with pytest.raises(StorageError) as info:
        connect(Settings(), url="http://user:hunter2@127.0.0.1:1")
    assert "hunter2" not in str(info.value) and "user:***@127.0.0.1:1" in str(info.value)


def test_log_records_are_redacted(caplog):
    import logging

    from skillpulse.settings import install_log_redaction

    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("anything").info("connecting to %s", "http://u:hunter2@h:8123")
    assert "hunter2" not in caplog.text and "u:***@h:8123" in caplog.text


def test_a_partial_replay_says_what_the_dashboard_would_show():
    from stream_processors.replay import partial_warning

    since = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    full = partial_warning({0: 0, 1: 0}, {0: 10, 1: 5}, {0: 0, 1: 0}, {0: 10, 1: 5}, since, None)
    assert full is None
    text = partial_warning({0: 4, 1: 0}, {0: 10, 1: 5}, {0: 0, 1: 0}, {0: 10, 1: 5}, since, None)
    assert "covers 11 of the 15 messages" in text and "4 earlier" in text
    assert "weeks outside it would vanish" in text and "--activate-partial" in text


def test_control_characters_are_found_in_non_ascii_text_by_character_position():
    assert find_control("Vi söker – en utvecklare") == -1
    assert find_control("vår\u0007team") == 3  # a character index, not a UTF-8 byte index
    assert find_control("\ud800 lone surrogate\u001f") == 16
