"""`skillpulse demo --headless` end to end, then `skillpulse db query` on the same data dir."""
from __future__ import annotations

import json

import pytest
import streamkit as kit

pytestmark = pytest.mark.kafka


def test_demo_headless_summary_matches_what_sql_users_read(kafka_bootstrap, unique_name, tmp_path):
    data_dir = tmp_path / "data"
    env = kit.env_for(kafka_bootstrap, data_dir, f"demo.raw.{unique_name}", f"demo.dlq.{unique_name}",
                      SKILLPULSE_WORKER_GROUP=f"demo-{unique_name}", TOPIC_PARTITIONS="6")
    out = kit.cli(env, "demo", "--postings", "2000", "--headless", "--no-batch", "--data-dir", str(data_dir),
                  timeout=300).stdout
    summary = json.loads(out.strip().splitlines()[-1])  # the JSON line comes last
    assert set(summary) == {"produced", "unique", "duplicates", "stored", "dead_letters", "weeks", "seconds"}
    assert summary["produced"] == 2000
    assert summary["unique"] + summary["duplicates"] == summary["produced"]
    assert summary["stored"] == summary["unique"] and summary["dead_letters"] == 3 and summary["weeks"] > 1

    row = kit.query(env, "SELECT (SELECT uniqExact(posting_key) FROM postings) AS u,"
                         " (SELECT sum(job_count) FROM weekly_job_volume) AS s")[0]
    assert int(row["u"]) == int(row["s"]) == summary["stored"]
