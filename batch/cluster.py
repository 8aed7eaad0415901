"""Cluster the window's skills: MiniLM embeddings, KMeans (k by silhouette), UMAP to 2-D and 3-D.

As in the seed, plus the choice of k and fixed seeds: the same skills and seed give the same
clusters and coordinates. Writes ``skill_clusters`` rows and ``plots/<date>/`` files.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from schemas.tables import SKILL_CLUSTERS, ClusterRow



@dataclass
class ClusterResult:
    skills: list[str]
    counts: list[int]
    clusters: list[int]
    xyz: list[tuple[float, float, float]]
    xy: list[tuple[float, float]]
    k: int
    silhouette: float | None
    labels: dict[int, str]  # cluster -> its most frequent skill


def skill_counts(client, database: str, start: dt.date, end: dt.date, min_postings: int = 1) -> list[tuple[str, int]]:
    """Every skill of the window's postings (active version) in ``min_postings`` postings or more:
    AI and general taxonomy skills and the model's open-vocabulary ones (``weekly_skill_mentions``)."""
    rows = client.query(
        f"SELECT skill, sum(count) AS n FROM {database}.weekly_skill_mentions "
        "WHERE week_start BETWEEN toMonday({start:Date}) AND {end:Date} GROUP BY skill "
        "HAVING n >= {min:UInt32} ORDER BY n DESC, skill",
        parameters={"start": start, "end": end, "min": min_postings}).result_rows
    return [(r[0], int(r[1])) for r in rows]


def load_encoder(settings=None):
    """The sentence encoder (offline MiniLM unless ``SKILLPULSE_ENCODER``), on CPU."""
    from sentence_transformers import SentenceTransformer

    from skillpulse.extraction.tagger import default_encoder, offline

    offline()
    return SentenceTransformer(default_encoder(settings), device="cpu")


def _project(vectors, dims: int, seed: int):
    import numpy as np

    n = len(vectors)
    if n < 6:  # UMAP needs a neighbourhood; a tiny set is laid out by PCA
        from sklearn.decomposition import PCA

        comps = min(dims, n, vectors.shape[1])
        out = np.zeros((n, dims), dtype=np.float32)
        if n > 1:
            out[:, :comps] = PCA(n_components=comps, random_state=seed).fit_transform(vectors)[:, :comps]
        return out
    import umap

    reducer = umap.UMAP(n_components=dims, n_neighbors=min(15, n - 1), min_dist=0.1, metric="cosine", n_jobs=1,
                        random_state=seed, init="spectral" if n > dims + 1 else "random")
    return reducer.fit_transform(vectors)


def choose_k(vectors, k_range: tuple[int, int], seed: int) -> tuple[int, float | None, object]:
    """The k in ``k_range`` (inclusive) with the best silhouette, and its fitted labels."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    lo, hi = max(2, k_range[0]), min(k_range[1], n - 1)
    if hi < lo:
        return 1, None, [0] * n
    best = (lo, -2.0, None)
    for k in range(lo, hi + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
        score = float(silhouette_score(vectors, labels))
        if score > best[1] + 1e-9:
            best = (k, score, labels)
    return best


def cluster_skills(skills: Sequence[str], counts: Sequence[int], encoder, *, k: int | None = None,
                   k_range: tuple[int, int] = (4, 16), seed: int = 42) -> ClusterResult:
    """Embed, cluster and project ``skills``; ``k`` fixes the number of clusters."""
    import numpy as np
    from sklearn.cluster import KMeans

    skills = list(skills)
    counts = [int(c) for c in counts]
    if not skills:
        return ClusterResult([], [], [], [], [], 0, None, {})
    vectors = np.asarray(encoder.encode(skills, batch_size=128, normalize_embeddings=True,
                                        show_progress_bar=False), dtype=np.float32)
    # As in the seed, KMeans runs on the 3-D UMAP layout: neighbourhoods there are clearer than in
    # 384-D, where every silhouette is near zero and the best k is always 2.
    xyz = _project(vectors, 3, seed)
    xy = _project(vectors, 2, seed)
    space = np.asarray(xyz, dtype=np.float64)
    silhouette = None
    if k is not None:
        k = max(1, min(k, len(skills)))
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(space) if k > 1 else [0] * len(skills)
        if 1 < k < len(skills):
            from sklearn.metrics import silhouette_score

            silhouette = float(silhouette_score(space, labels))
    else:
        k, silhouette, labels = choose_k(space, k_range, seed)
    labels = [int(c) for c in labels]
    names: dict[int, str] = {}
    for skill, count, c in sorted(zip(skills, counts, labels), key=lambda t: (-t[1], t[0])):
        names.setdefault(c, skill)
    return ClusterResult(skills, counts, labels, [tuple(map(float, p)) for p in xyz],
                         [tuple(map(float, p)) for p in xy], k, silhouette, names)


def write_clusters(client, database: str, run_id: str, week: dt.date, result: ClusterResult) -> int:
    """Replace the run's rows in ``skill_clusters``; returns rows written."""
    client.command(f"DELETE FROM {database}.skill_clusters WHERE run_id = {{run:String}}",
                   parameters={"run": run_id})
    rows = [ClusterRow(run_id, week, s, c, p[0], p[1], p[2], n, q[0], q[1], result.labels[c])
            for s, n, c, p, q in zip(result.skills, result.counts, result.clusters, result.xyz, result.xy)]
    return SKILL_CLUSTERS.insert(client, database, rows)


def points_frame(result: ClusterResult):
    """The result as ``skill_clusters`` columns (skill, cluster, cluster_label, count, x, y, z, x2d, y2d)."""
    import pandas as pd

    return pd.DataFrame({
        "skill": result.skills, "cluster": result.clusters,
        "cluster_label": [result.labels[c] for c in result.clusters],
        "count": result.counts, "x": [p[0] for p in result.xyz], "y": [p[1] for p in result.xyz],
        "z": [p[2] for p in result.xyz], "x2d": [q[0] for q in result.xy], "y2d": [q[1] for q in result.xy],
    })


def plot(result: ClusterResult, out_dir: Path, title: str, draw) -> list[Path]:
    """``skills_2d.png`` and ``skills_3d.html`` in ``out_dir``, drawn by ``draw(points, png, html, title)``.

    The caller passes the drawer (``dashboard.report.write_cluster_plots``, the one that ``skillpulse
    report`` uses too): the batch does not import the dashboard, a sibling part.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if not result.skills:
        return []
    return draw(points_frame(result), out_dir / "skills_2d.png", out_dir / "skills_3d.html", title)
