"""The weekly batch end to end on a real embedded ClickHouse: relabel -> retrain -> candidates -> cluster.

One small window (~60 synthetic postings, 2 epochs: the command's default; one epoch on so few
ads is a coin toss) is run twice; the second run must replace, not add.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from batch_fixtures import DB, seeded_client

from skillpulse.extraction.extractor import load_promoted_model
from skillpulse.extraction.registry import list_models, promoted_model
from batch.weekly import MIN_PROMOTE_F1, run_weekly
from dashboard.report import write_cluster_plots
from skillpulse.domain.taxonomy import default_taxonomy
from skillpulse.settings import Settings

pytestmark = pytest.mark.slow
WEEK = dt.date(2024, 3, 4)
RUN = "weekly-2024-03-04-4w"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    # Two epochs: one epoch on 60 postings lands near the 0.5 promotion bar, on either side by chance.
    data = tmp_path_factory.mktemp("batch")
    settings = Settings(data_dir=data)
    client, gold = seeded_client(settings, n=60, seed=11, end_week=WEEK, weeks=4)
    try:
        first = run_weekly(client, settings, weeks=4, labeller="taxonomy", sample=None, epochs=2, seed=7,
                           progress=False)
        counts_after_first = table_counts(client)
        second = run_weekly(client, settings, week=WEEK, weeks=4, labeller="taxonomy", sample=None, epochs=2,
                            seed=7, progress=False, draw_map=write_cluster_plots)
        yield settings, client, first, second, counts_after_first
    finally:
        client.close()


def table_counts(client) -> dict[str, int]:
    """Rows per batch table as a reader sees them (FINAL), and physical rows left after deletes."""
    out = {}
    for table in ("skill_labels", "extractor_models", "skill_candidates", "skill_clusters", "batch_runs"):
        out[table] = client.query(f"SELECT count() FROM {DB}.{table} FINAL").result_rows[0][0]
    return out


def test_default_window_is_the_latest_week_with_postings(runs):
    _, _, first, second, _ = runs
    assert first["run_id"] == second["run_id"] == RUN
    assert (first["window_start"], first["window_end"]) == ("2024-02-12", "2024-03-10")
    assert first["status"] == "ok" and first["labeller"] == "taxonomy"
    assert "LLM_BASE_URL" not in first.get("labeller_note", "")  # taxonomy was asked for, no fallback note


def test_retrain_registers_a_model_with_metrics_and_promotes_it(runs):
    settings, client, first, _, _ = runs
    model = first["model"]
    assert model["status"] == "ok" and model["promoted"] is True and model["baseline_version"] is None
    m = model["metrics"]
    for kind in ("strict", "loose"):
        assert set(m[kind]) == {"precision", "recall", "f1"} and 0.0 <= m[kind]["f1"] <= 1.0
    assert m["loose"]["f1"] >= m["strict"]["f1"]
    assert m["train_postings"] > m["test_postings"] > 0
    folder = Path(model["path"])
    assert folder == settings.data_dir / "models" / RUN
    assert (folder / "config.json").exists() and (folder / "tokenizer.json").exists()
    meta = json.loads((folder / "skillpulse.json").read_text())
    record = promoted_model(client, DB)
    # The re-run fine-tunes this model and replaces it only if it scores higher: the folder's card
    # holds whichever model is registered.
    assert meta["label_source"] == "taxonomy" and meta["metrics"]["strict"] == record.metrics["strict"]
    assert record.version == RUN and record.label_source == "taxonomy"
    assert (record.window_start, record.window_end) == (dt.date(2024, 2, 12), dt.date(2024, 3, 10))
    assert record.metrics["strict"]["f1"] == pytest.approx(record.strict_f1)


def test_rerun_compares_with_the_promoted_model_on_the_same_held_out_postings(runs):
    _, _, first, second, _ = runs
    model = second["model"]
    assert model["baseline_version"] == RUN
    baseline = model["metrics"]["baseline"]
    assert baseline["gold_spans"] == first["model"]["metrics"]["gold_spans"]  # same held-out set
    f1 = model["metrics"]["strict"]["f1"]
    assert model["promoted"] == (f1 >= MIN_PROMOTE_F1 and f1 > baseline["strict"]["f1"])
    # the re-run refines the promoted model instead of starting again from the bare encoder
    assert first["model"]["base_model"] != model["base_model"] == first["model"]["path"]


def test_running_the_window_twice_leaves_one_set_of_rows(runs):
    _, client, first, second, after_first = runs
    after_second = table_counts(client)
    # Labels, models and runs are the same rows again; clusters and candidates are the re-run's
    # (its model may have replaced the first one), never both runs' together.
    same = ("skill_labels", "extractor_models", "batch_runs")
    assert {t: after_second[t] for t in same} == {t: after_first[t] for t in same}
    assert after_second["extractor_models"] == 1 and after_second["batch_runs"] == 1
    assert after_second["skill_labels"] == first["labels"]["labelled"] == first["postings"]
    assert after_second["skill_clusters"] == second["clusters"]["skills"]
    assert after_second["skill_candidates"] == second["candidates"]["written"]
    status, summary = client.query(f"SELECT status, summary FROM {DB}.batch_runs FINAL").result_rows[0]
    assert status == "ok" and json.loads(summary)["run_id"] == RUN
    [models] = [list_models(client, DB)]
    assert [m.version for m in models] == [RUN]


def test_clusters_cover_the_window_skills_with_counts(runs):
    _, client, _, second, _ = runs
    rows = client.query(
        f"SELECT skill, cluster, count, x, y, z, cluster_label FROM {DB}.skill_clusters FINAL WHERE run_id = %(r)s",
        parameters={"r": RUN}).result_rows
    # Every skill of the window in 2+ postings: the taxonomy's (AI and general) and the model's.
    keys = {k: set(a) | set(g) for k, a, g in client.query(
        f"SELECT posting_key, extracted_skills, general_skills FROM {DB}.postings_all FINAL "
        "WHERE posted_date BETWEEN '2024-02-12' AND '2024-03-10'").result_rows}
    for key, skill in client.query(f"SELECT posting_key, skill FROM {DB}.model_skills FINAL").result_rows:
        if key in keys:
            keys[key].add(skill)
    counts = Counter(s for skills in keys.values() for s in skills)
    expected = {s: n for s, n in counts.items() if n >= 2}
    assert {r[0]: r[2] for r in rows} == expected
    assert set(expected) >= {s for e in client.query(f"SELECT extracted_skills FROM {DB}.postings").result_rows
                             for s in e[0] if counts[s] >= 2}
    assert len({r[1] for r in rows}) == second["clusters"]["k"]
    labels = {r[1]: r[6] for r in rows}
    assert all(label in expected for label in labels.values())
    for path in second["plots"]:
        assert Path(path).stat().st_size > 1000
    assert {Path(p).name for p in second["plots"]} == {"skills_2d.png", "skills_3d.html"}
    assert Path(second["plots"][0]).parent.name == "2024-03-04"


def test_candidates_are_outside_the_taxonomy_with_examples(runs):
    _, client, _, _, _ = runs
    taxonomy = default_taxonomy()
    rows = client.query(f"SELECT skill, count, examples, model_version FROM {DB}.skill_candidates FINAL").result_rows
    for skill, count, examples, version in rows:
        assert skill not in taxonomy.skills and count >= 1 and version == RUN
        assert 1 <= len(examples) <= 3


def test_promoted_model_is_a_batched_skill_model(runs):
    settings, client, _, _, _ = runs
    model = load_promoted_model(client, settings)
    out = model(["We need PyTorch and SQL skills.", "<p>Kubernetes &amp; Docker</p>", ""])
    assert len(out) == 3 and all(isinstance(s, set) for s in out)
    taxonomy = default_taxonomy()
    assert all(skill in taxonomy.skills for skills in out for skill in skills)
    assert out[2] == set()


def test_hybrid_setting_attaches_the_promoted_model_to_the_enricher(runs):
    from skillpulse.extraction.extractor import apply_extractor_setting
    from schemas.postings import RawPosting
    from skillpulse.domain.enrich import default_enricher

    settings, client, _, _, _ = runs
    plain = default_enricher("v2")
    assert apply_extractor_setting(plain, settings.model_copy(update={"extractor": "taxonomy"}), client) is plain
    hybrid = apply_extractor_setting(plain, settings.model_copy(update={"extractor": "hybrid"}), client)
    assert hybrid.model is not None and hybrid.model.version == RUN
    raw = RawPosting(title="ML Engineer", description="You know PyTorch, SQL and Kubernetes.",
                     posted_date="2024-03-04", source="test")
    enriched = hybrid.enrich_many([raw])[0]
    # the model adds to the taxonomy's skills, never removes them
    assert set(plain.enrich(raw).extracted_skills) <= set(enriched.extracted_skills)
    with pytest.raises(ValueError):
        apply_extractor_setting(plain, settings.model_copy(update={"extractor": "magic"}), client)


def test_latest_views_show_the_latest_successful_run(runs):
    _, client, _, second, _ = runs
    assert client.query(f"SELECT run_id FROM {DB}.latest_batch_run").result_rows == [(RUN,)]
    n = client.query(f"SELECT count() FROM {DB}.latest_skill_clusters").result_rows[0][0]
    assert n == second["clusters"]["skills"]
    cands = client.query(f"SELECT skill, count FROM {DB}.latest_skill_candidates").result_rows
    assert len(cands) == second["candidates"]["written"]
    assert [c[1] for c in cands] == sorted((c[1] for c in cands), reverse=True)
