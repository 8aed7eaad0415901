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


def test_demo_fed_from_a_seed_format_folder(kafka_bootstrap, unique_name, tmp_path):
    # The seed's scrape layout (job-postings/<date>/*.txt) goes through the same pipeline as synthetic ads.
    folder = tmp_path / "job-postings"
    ads = {
        "2024-03-04/ad1.txt": "Senior Machine Learning Engineer\n\nPyTorch, MLOps and Python on AWS.",
        "2024-03-04/ad2.txt": "Data Scientist\n\nStatistics, SQL and pandas.",
        "11-03-2024/ad3.txt": "Junior Data Engineer\n\nAirflow and Spark pipelines.",
    }
    for name, text in ads.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    data_dir = tmp_path / "data"
    env = kit.env_for(kafka_bootstrap, data_dir, f"files.raw.{unique_name}", f"files.dlq.{unique_name}",
                      SKILLPULSE_WORKER_GROUP=f"files-{unique_name}", TOPIC_PARTITIONS="3")
    out = kit.cli(env, "demo", "--files", str(folder), "--headless", "--no-batch", "--data-dir", str(data_dir),
                  timeout=300).stdout
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["produced"] == 3 and summary["stored"] == 3
    rows = kit.query(env, "SELECT title, posted_date, extracted_skills FROM postings ORDER BY title")
    assert [r["title"] for r in rows] == ["Data Scientist", "Junior Data Engineer", "Senior Machine Learning Engineer"]
    assert {str(r["posted_date"]) for r in rows} == {"2024-03-04", "2024-03-11"}  # dated by folder, both styles
    assert "pytorch" in rows[2]["extracted_skills"]
