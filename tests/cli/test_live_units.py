"""The pieces of `skillpulse up` that need no broker: instance lock and token, supervision, rates, cron."""
from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest

from skillpulse.instance import (InstanceLock, InstanceRunning, read_token, refuse_if_running, running_instance,
                                 token_matches)
from skillpulse.live.jobs import BatchRunner, Schedule, parse_rate
from skillpulse.live.parts import Part, Supervisor
from skillpulse.live.up import make_scrub
from skillpulse.settings import Settings


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_lock_publishes_url_and_a_private_token_and_goes_away(tmp_path):
    with InstanceLock(tmp_path, "http://127.0.0.1:8050") as lock:
        inst = running_instance(tmp_path)
        assert inst is not None and inst.url == "http://127.0.0.1:8050" and inst.pid == os.getpid()
        assert stat.S_IMODE((tmp_path / "api-token").stat().st_mode) == 0o600
        assert read_token(tmp_path) == lock.token and len(lock.token) >= 32
        refuse_if_running(tmp_path)  # our own process may open the data
    assert running_instance(tmp_path) is None and not (tmp_path / "api-token").exists()


def test_another_live_instance_is_refused_and_a_dead_one_ignored(tmp_path):
    from skillpulse.storage import StorageError, connect

    (tmp_path / "skillpulse.lock").write_text(json.dumps({"url": "http://127.0.0.1:9999", "pid": os.getppid()}))
    with pytest.raises(InstanceRunning, match="http://127.0.0.1:9999"):
        refuse_if_running(tmp_path)
    with pytest.raises(StorageError, match="skillpulse db query"):  # before chDB's own lock error
        connect(Settings(data_dir=tmp_path))
    with pytest.raises(InstanceRunning):
        InstanceLock(tmp_path, "http://127.0.0.1:8050").acquire()

    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    (tmp_path / "skillpulse.lock").write_text(json.dumps({"url": "http://127.0.0.1:9999", "pid": dead}))
    assert running_instance(tmp_path) is None
    with InstanceLock(tmp_path, "http://127.0.0.1:8050"):
        assert running_instance(tmp_path).pid == os.getpid()


def test_tokens_compare_whole_and_never_empty():
    assert token_matches("abc", "abc")
    assert not token_matches("abd", "abc") and not token_matches("ab", "abc") and not token_matches("", "")
    assert not token_matches(None, "abc") and not token_matches("é", "abc")


def test_scrub_hides_every_secret_the_process_knows():
    settings = Settings(llm_api_key="sk-llm-secret", rapid_api_key="rapid-secret",
                        clickhouse_url="http://app:db-pass@ch:8123")
    scrub = make_scrub(settings, "the-token-value")
    text = scrub("failed with sk-llm-secret, rapid-secret, db-pass and the-token-value")
    assert text == "failed with ***, ***, *** and ***"


def test_rates():
    assert parse_rate("6/min") == 6 and parse_rate("120/h") == 2 and parse_rate("3") == 3 and parse_rate("0") == 0
    for bad in ("fast", "5/week", "-1/min"):
        with pytest.raises(ValueError, match="N/min"):
            parse_rate(bad)


def test_a_failing_part_restarts_with_backoff_and_the_others_keep_running():
    calls = {"flaky": 0, "steady": 0}

    def flaky(stop):
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("boom")
        stop.wait()

    def steady(stop):
        calls["steady"] += 1
        stop.wait()

    sup = Supervisor()
    sup.add(Part("flaky", flaky, first_backoff_s=0.05))
    sup.add(Part("steady", steady, first_backoff_s=0.05))
    sup.start()
    try:
        wait_for(lambda: calls["flaky"] == 2 and sup.parts["flaky"].status.state == "running")
        flaky_status = sup.parts["flaky"].status
        assert flaky_status.restarts == 1 and flaky_status.last_error == "RuntimeError: boom"
        assert calls["steady"] == 1 and sup.parts["steady"].status.restarts == 0
        assert "flaky ✓ (restarted 1×; last error: RuntimeError: boom)" in sup.line()

        assert sup.kill("steady")
        wait_for(lambda: calls["steady"] == 2 and sup.parts["steady"].status.state == "running")
        assert sup.parts["steady"].status.last_error == "killed on request"
    finally:
        sup.stop()
    assert {p["state"] for p in sup.statuses()} == {"stopped"}
    assert calls == {"flaky": 2, "steady": 2}
    assert not sup.kill("nope")


def test_batch_requests_are_validated_and_run_one_at_a_time():
    with pytest.raises(ValueError, match="epochs"):
        BatchRunner.parse({"epochs": "two"})
    with pytest.raises(ValueError, match="unknown"):
        BatchRunner.parse({"drop": 1})
    assert BatchRunner.parse({"week": "2024-03-04", "epochs": 0, "k": 3})["k"] == 3
    runner = BatchRunner(Settings())
    assert runner.request({}, "test")[0] is True
    accepted, state = runner.request({}, "test")
    assert accepted is False and state["state"] == "queued"


def test_schedule_rejects_a_bad_cron_and_computes_the_next_runs():
    runner = BatchRunner(Settings())
    with pytest.raises(ValueError, match="SCHEDULE_BATCH"):
        Schedule(Settings(schedule_batch="every monday"), "x:1", runner, None)
    sched = Schedule(Settings(schedule_producers="", schedule_batch="0 7 * * 1"), "x:1", runner, None)
    assert list(sched.jobs) == ["batch"]
    stop = threading.Event()
    thread = threading.Thread(target=sched.run, args=(stop,))
    thread.start()
    wait_for(lambda: "batch" in sched.next_runs)
    stop.set()
    thread.join(5)
    nxt = sched.next_runs["batch"]
    assert nxt.weekday() == 0 and (nxt.hour, nxt.minute) == (7, 0)
