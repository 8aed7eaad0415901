"""Clustering is deterministic for a seed: same skills, same clusters and coordinates."""
from __future__ import annotations

import pytest

from batch.cluster import cluster_skills, load_encoder
from skillpulse.domain.taxonomy import default_taxonomy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


def test_same_seed_same_clusters_and_coordinates(encoder):
    skills = sorted(default_taxonomy().skills)[:60]
    counts = list(range(60, 0, -1))
    a = cluster_skills(skills, counts, encoder, seed=3, k_range=(3, 8))
    b = cluster_skills(skills, counts, encoder, seed=3, k_range=(3, 8))
    assert a.clusters == b.clusters and a.xyz == b.xyz and a.xy == b.xy and a.k == b.k
    assert 3 <= a.k <= 8 and len(set(a.clusters)) == a.k
    assert a.labels[a.clusters[0]] == skills[0]  # a cluster is named after its most frequent skill


def test_fixed_k_and_tiny_inputs(encoder):
    r = cluster_skills(["python", "pytorch", "sql", "tableau", "kubernetes", "docker", "aws"], [1] * 7, encoder,
                       k=3, seed=1)
    assert r.k == 3 and len(set(r.clusters)) == 3
    one = cluster_skills(["python"], [5], encoder)
    assert one.clusters == [0] and one.k == 1
    assert cluster_skills([], [], encoder).skills == []
