"""`skillpulse up` on the real broker: one live instance for the module, shared by its tests.

Postings produced while it runs reach `postings` and the dashboard's callbacks; the API answers
with the token only and never writes; the batch runs while the worker ingests; a killed part comes
back; SIGTERM leaves every stored message committed. Waits poll with a deadline, never a timing.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time

import httpx
import pytest
import streamkit as kit

pytestmark = pytest.mark.kafka

PARTITIONS = 3


def wait_for(what: str, check, timeout: float = 60.0, every: float = 0.3):
    """Poll ``check()`` until it returns a truthy value; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
            last = exc
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def trace_values(trace: dict) -> list:
    """A Plotly trace's y values (numeric arrays travel as base64 ``{"dtype", "bdata"}``)."""
    import base64

    import numpy as np

    raw = trace.get("y")
    if isinstance(raw, dict) and "bdata" in raw:
        return np.frombuffer(base64.b64decode(raw["bdata"]), dtype=np.dtype(raw["dtype"])).tolist()
    return list(raw or [])


class Live:
    def __init__(self, proc, url, data_dir, env, bootstrap, topic, group):
        self.proc, self.url, self.data_dir, self.env = proc, url, data_dir, env
        self.bootstrap, self.topic, self.group = bootstrap, topic, group
        self.produced = 0

    @property
    def token(self) -> str:
        return (self.data_dir / "api-token").read_text().strip()

    def api(self, method: str, path: str, body=None, token: str | None = "auto") -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {self.token if token == 'auto' else token}"}
        return httpx.request(method, self.url + path, json=body, headers=headers, timeout=60)

    def sql(self, text: str):
        answer = self.api("POST", "/api/query", {"sql": text})
        assert answer.status_code == 200, answer.text
        return answer.json()["rows"]

    def stored(self) -> int:
        return int(self.sql("SELECT count() FROM postings")[0][0])

    def produce(self, items) -> None:
        self.produced += kit.produce(self.bootstrap, self.topic, items)


@pytest.fixture(scope="module")
def live(kafka_bootstrap, tmp_path_factory):
    from skillpulse.kafka.local import free_port

    name = os.urandom(4).hex()
    data_dir = tmp_path_factory.mktemp("live") / "data"
    topic, group = f"live.raw.{name}", f"live-{name}"
    env = kit.env_for(kafka_bootstrap, data_dir, topic, f"live.dlq.{name}", SKILLPULSE_WORKER_GROUP=group,
                      TOPIC_PARTITIONS=str(PARTITIONS))
    port = free_port()
    log = open(data_dir.parent / "up.log", "w")
    proc = subprocess.Popen([*kit.SKILLPULSE, "up", "--no-schedule", "--port", str(port), "--data-dir", str(data_dir)],
                            env=env, cwd=kit.ROOT, stdout=log, stderr=subprocess.STDOUT)
    inst = Live(proc, f"http://127.0.0.1:{port}", data_dir, env, kafka_bootstrap, topic, group)
    try:
        def ready():
            if proc.poll() is not None:
                pytest.fail("skillpulse up exited:\n" + (data_dir.parent / "up.log").read_text()[-3000:])
            status = inst.api("GET", "/api/status").json()
            return all(p["state"] == "running" for p in status["parts"]) and status["postings"] is not None
        wait_for("skillpulse up to serve", ready, timeout=120)
        yield inst
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def test_api_needs_the_token_and_never_writes(live):
    token_file = live.data_dir / "api-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    for token in (None, "wrong-token", live.token + "x"):
        answer = live.api("POST", "/api/query", {"sql": "SELECT 1"}, token=token)
        assert answer.status_code == 401 and live.token not in answer.text
    assert live.api("GET", "/api/status", token=None).status_code == 401

    for sql in ("INSERT INTO postings_all (posting_key) VALUES ('x')", "DROP TABLE postings_all",
                "SELECT 1 SETTINGS readonly = 0", "SELECT * FROM file('/etc/passwd', 'LineAsString')"):
        answer = live.api("POST", "/api/query", {"sql": sql})
        assert answer.status_code == 403, (sql, answer.text)
        assert live.token not in answer.text and "readonly" in answer.json()["error"].lower()
    capped = live.api("POST", "/api/query", {"sql": "SELECT number FROM numbers(100000)", "max_rows": 7}).json()
    assert capped["row_count"] == 7 and capped["truncated"] is True
    assert live.sql("SHOW TABLES")  # the tables are still there


def test_produced_postings_reach_postings_and_the_dashboard(live):
    items = kit.postings(40, 0, seed=11)
    live.produce(items)
    wait_for("40 stored postings", lambda: live.stored() == 40)

    # `skillpulse db query` finds the instance through the lock file and asks its API.
    rows = kit.query(live.env, "SELECT count() AS n FROM postings")
    assert int(rows[0]["n"]) == 40
    # Commands that would open chDB themselves are told to talk to the instance.
    refused = kit.cli(live.env, "batch", "weekly", "--epochs", "0", check=False)
    assert refused.returncode != 0 and "skillpulse up" in refused.stderr and live.url in refused.stderr

    # The dashboard's callbacks (as the browser calls them) see the new postings within seconds.
    expected = kit.expected_weeks(items)

    def volume():
        payload = {"output": "g-volume.figure", "outputs": {"id": "g-volume", "property": "figure"},
                   "inputs": [{"id": "filters", "property": "data", "value": {}}],
                   "changedPropIds": ["filters.data"], "state": []}
        fig = httpx.post(live.url + "/_dash-update-component", json=payload, timeout=30).json()
        trace = fig["response"]["g-volume"]["figure"]["data"][0]
        return dict(zip([x[:10] for x in trace["x"]], trace_values(trace))) == expected
    wait_for("the dashboard's weekly volume to show the postings", volume, timeout=30)

    status = httpx.get(live.url + "/").status_code
    assert status == 200


def test_batch_through_the_api_runs_while_the_worker_ingests(live):
    before = live.stored()
    answer = live.api("POST", "/api/batch", {"epochs": 0, "sample": 20, "k": 2})
    assert answer.status_code == 202, answer.text
    more = kit.postings(15, 0, seed=12)
    live.produce(more)
    wait_for("the new postings stored", lambda: live.stored() == before + 15)
    last = wait_for("the batch to finish",
                    lambda: (live.api("GET", "/api/batch").json().get("last") or {}).get("status"), timeout=120)
    assert last == "ok", live.api("GET", "/api/batch").json()
    runs = live.sql("SELECT status FROM batch_runs FINAL")
    assert ["ok"] in runs
    assert live.api("POST", "/api/batch", {"epochs": "two"}).status_code == 400


def test_a_killed_part_restarts(live):
    answer = live.api("POST", "/api/parts/worker/restart")
    assert answer.status_code == 202, answer.text

    def restarted():
        worker = next(p for p in live.api("GET", "/api/status").json()["parts"] if p["name"] == "worker")
        return worker["restarts"] >= 1 and worker["state"] == "running" and worker
    worker = wait_for("the worker to come back", restarted)
    assert worker["last_error"] == "killed on request"
    before = live.stored()
    live.produce(kit.postings(5, 0, seed=13))
    wait_for("postings stored by the restarted worker", lambda: live.stored() == before + 5)


def test_sigterm_stops_cleanly_with_everything_stored_committed(live):
    stored = live.stored()
    assert stored == live.produced  # every test's postings are unique
    live.proc.send_signal(signal.SIGTERM)
    assert live.proc.wait(90) == 0
    assert not (live.data_dir / "skillpulse.lock").exists() and not (live.data_dir / "api-token").exists()
    assert kit.committed(live.bootstrap, live.group, live.topic, PARTITIONS) == live.produced
    # The data directory is free again: `db query` opens chDB itself and reads the same rows.
    assert int(kit.scalar(live.env, "SELECT count() FROM postings")) == stored
    assert json.dumps(kit.query(live.env, "SELECT 1 AS one")) == '[{"one": 1}]'
