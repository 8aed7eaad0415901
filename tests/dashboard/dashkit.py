"""Helpers of the dashboard tests: real chDB databases of enriched synthetic postings, and Dash
callback requests made the way the browser makes them."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from schemas.postings import parse_raw_posting
from schemas.tables import SKILL_CANDIDATES, SKILL_CLUSTERS, CandidateRow
from skillpulse import storage
from skillpulse.domain.enrich import default_enricher
from skillpulse.settings import Settings

DB = "skillpulse"
END = dt.date(2026, 11, 18)  # a Wednesday: the last week is in progress


def enriched_postings(count: int = 1200, seed: int = 3, weeks: int = 10, end: dt.date = END):
    """Enriched postings from the synthetic producer (with its re-posts: same key, replaced on insert)."""
    from producers.synthetic import generate_postings

    raws = [parse_raw_posting(r) for r in generate_postings(count, seed=seed, end_date=end, weeks=weeks)]
    return default_enricher("v1").enrich_many(raws)


def unique_by_key(postings):
    """What the database holds after idempotent inserts: the last row per posting_key."""
    return list({p.posting_key: p for p in postings}.values())


def open_db(path: Path, postings=(), clusters: bool = False, migrate: bool = True):
    """A migrated chDB database at ``path`` holding ``postings`` (version v1 active)."""
    client = storage.connect(Settings(), url=f"chdb://{path}")
    if migrate:
        storage.migrate(client, DB)
        storage.set_version_status(client, "v1", "active", database=DB)
    if postings:
        storage.insert_postings(client, [storage.posting_row(p) for p in postings], database=DB)
    if clusters:
        insert_batch_output(client, postings)
    return client


def insert_batch_output(client, postings, run_id: str = "weekly-2026-11-16-8w") -> None:
    """Rows shaped like the weekly batch's ``skill_clusters`` and ``skill_candidates``."""
    from collections import Counter

    counts = Counter(s for p in unique_by_key(postings) for s in p.extracted_skills)
    rows = []
    for i, (skill, n) in enumerate(sorted(counts.items())):
        cluster = i % 4
        rows.append([run_id, dt.date(2026, 11, 16), skill, cluster, float(cluster * 3 + (i % 5) * 0.3),
                     float(cluster * 2 - (i % 7) * 0.2), float(i % 3), n, float(cluster + (i % 5) * 0.1),
                     float(-cluster + (i % 3) * 0.1), f"top{cluster}"])
    SKILL_CLUSTERS.insert(client, DB, rows)
    week = dt.date(1970, 1, 1)  # the column's default: these candidates predate migration 011's growth
    SKILL_CANDIDATES.insert(client, DB, [
        CandidateRow("vector search", 42, ["… experience with vector search and …"], "m1", run_id, week, 0),
        CandidateRow("dbt cloud", 7, ["… dbt cloud pipelines …"], "m1", run_id, week, 0),
    ])



def dash_request(flask_client, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
                 state: list[tuple[str, str, object]] = (), changed: list[str] | None = None) -> dict:
    """POST one callback to Dash's ``/_dash-update-component``, as the browser does; returns the response."""
    out_spec = [{"id": i, "property": p} for i, p in outputs]
    payload = {
        "output": (".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..") if len(outputs) > 1 else f"{outputs[0][0]}.{outputs[0][1]}",
        "outputs": out_spec if len(outputs) > 1 else out_spec[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": changed if changed is not None else [f"{i}.{p}" for i, p, _ in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
    }
    response = flask_client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json")
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    return response.get_json() if response.status_code == 200 else {}


def values(trace: dict, axis: str = "y") -> list:
    """A trace's values as a list (Plotly sends numeric arrays as ``{"dtype", "bdata"}`` base64)."""
    import base64

    import numpy as np

    raw = trace.get(axis)
    if isinstance(raw, dict) and "bdata" in raw:
        return np.frombuffer(base64.b64decode(raw["bdata"]), dtype=np.dtype(raw["dtype"])).tolist()
    return list(raw or [])
