"""Movers and characteristic skills on tiny literal tables (why each expectation holds is noted)."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics import characteristic_skills, movers, pct_change, share
from schemas.postings import SENIORITY_LEVELS


def test_movers_use_shares_not_counts():
    # The market doubled (100 -> 200 postings). python doubled too: its share did not move, so it is
    # no mover; rust went 10% -> 20% (rising); excel stayed at 30 postings: 30% -> 15% (falling).
    skills = pd.DataFrame({"skill": ["python", "rust", "excel"], "last_week": [100, 40, 30], "prev_week": [50, 10, 30]})
    rising, falling = movers(skills, last_total=200, prev_total=100)
    assert [m.skill for m in rising] == ["rust"]
    assert [m.skill for m in falling] == ["excel"]
    assert round(rising[0].change_pp, 6) == 10.0 and round(falling[0].change_pp, 6) == -15.0


def test_movers_skip_noise_and_missing_weeks():
    skills = pd.DataFrame({"skill": ["rare"], "last_week": [3], "prev_week": [0]})
    assert movers(skills, 100, 100) == ([], [])          # 3 postings: below min_postings
    assert movers(skills, 100, 0) == ([], [])            # no previous week to compare with


def _levels(**columns):
    base = {lv: [0, 0, 0] for lv in SENIORITY_LEVELS}
    base.update(columns)
    return pd.DataFrame({"skill": ["python", "strategy", "sql"], **base})


def test_characteristic_skills_ignore_what_every_level_asks_for():
    # python: 50% at both levels -> idf 0, never characteristic however frequent.
    # strategy: 40% of directors, 2% of entry -> the directors' skill. sql: 30% entry, 5% directors.
    table = _levels(entry=[50, 2, 30], director=[50, 40, 5])
    found = characteristic_skills(table, {"entry": 100, "director": 100})
    assert [s for s, _, _ in found["director"]] == ["strategy"]
    assert [s for s, _, _ in found["entry"]] == ["sql"]
    assert found["director"][0][2] == 0.4  # the share shown next to the skill


def test_characteristic_skills_need_two_levels_with_enough_postings():
    table = _levels(entry=[50, 2, 30], director=[5, 4, 0])
    assert characteristic_skills(table, {"entry": 100, "director": 10}) == {}


def test_share_and_change_handle_zero():
    assert share(1, 0) == 0.0 and pct_change(10, 0) is None and pct_change(110, 100) == 10.0
