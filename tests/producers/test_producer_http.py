"""The shared HTTP helper: Retry-After is obeyed (and capped), failures are retried, then reported."""
from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from producerkit import LoopbackApi
from producers.http import HttpClient, RetryPolicy, SourceError, parse_retry_after


@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0),          # delta-seconds, the common form
    ("0", 0.0),
    ("-3", 0.0),         # nonsense never means "wait negative"
    ("", None),
    ("soon", None),      # unparseable: fall back to our own backoff
    (None, None),
])
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date():
    in_30s = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after(in_30s) <= 30


def ok(path, params, headers):
    return 200, {"path": path, "q": params.get("q")}


def test_waits_exactly_what_retry_after_asks_then_succeeds():
    waits: list[float] = []
    with LoopbackApi(ok, retry_after="7") as api:
        api.faults.extend(["429", "429"])
        with HttpClient(api.url, name="demo", policy=RetryPolicy(max_tries=5, max_wait=60), sleep=waits.append) as client:
            assert client.get_json("/search", {"q": "ml"}) == {"path": "/search", "q": ["ml"]}
    assert waits == [7.0, 7.0]


def test_retry_after_is_capped_by_max_wait():
    waits: list[float] = []
    with LoopbackApi(ok, retry_after="3600") as api:
        api.faults.append("429")
        with HttpClient(api.url, name="demo", policy=RetryPolicy(max_wait=5), sleep=waits.append) as client:
            client.get_json("/")
    assert waits == [5.0]


def test_backoff_grows_between_server_errors():
    waits: list[float] = []
    with LoopbackApi(ok) as api:
        api.faults.extend(["500", "500", "500"])
        policy = RetryPolicy(max_tries=4, backoff=1.0, max_wait=100)
        with HttpClient(api.url, name="demo", policy=policy, sleep=waits.append) as client:
            client.get_json("/")
    assert len(waits) == 3 and waits[0] < waits[1] < waits[2]  # exponential: ~1, ~2, ~4 (plus jitter)


def test_gives_up_after_max_tries_with_what_failed_and_what_to_do():
    with LoopbackApi(ok) as api:
        api.faults.extend(["timeout"] * 3)
        api.slow_s = 0.5
        policy = RetryPolicy(max_tries=3, timeout=0.1, backoff=0)
        with HttpClient(api.url, name="demo", policy=policy, sleep=lambda s: None) as client:
            with pytest.raises(SourceError, match=r"demo: gave up after 3 tries: no answer within 0.1s \(timeout\).*try again later"):
                client.get_json("/")
        assert len(api.requests) == 3


def test_a_client_error_is_not_retried():
    with LoopbackApi(lambda path, params, headers: (400, {"message": "bad offset"})) as api:
        with HttpClient(api.url, name="demo", sleep=lambda s: None) as client:
            with pytest.raises(SourceError, match="HTTP 400.*bad offset"):
                client.get_json("/search", {"offset": 5000})
        assert len(api.requests) == 1


def test_secrets_are_masked_in_errors():
    secret = "s3cr3t-key-value"
    with LoopbackApi(lambda path, params, headers: (401, {"message": f"key {secret} unknown"})) as api:
        with HttpClient(api.url, name="demo", headers={"X-Key": secret}, secrets=[secret]) as client:
            with pytest.raises(SourceError) as info:
                client.get_json("/")
    assert secret not in str(info.value) and "***" in str(info.value)


def test_a_redirect_is_not_followed_so_the_key_stays_home():
    secret = "k-123-secret"
    with LoopbackApi(ok) as elsewhere:
        def moved(path, params, headers):
            return 301, {"moved": True}, {"Location": f"{elsewhere.url}/steal"}

        with LoopbackApi(moved) as api:
            with HttpClient(api.url, name="demo", headers={"X-Key": secret}, secrets=[secret]) as client:
                with pytest.raises(SourceError, match="redirects are not followed.*--base-url"):
                    client.get_json("/")
        assert elsewhere.requests == []  # the key never travelled to another host
