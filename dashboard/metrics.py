"""Pure computations over query results: shares, week-over-week movers, characteristic skills.

No ClickHouse and no Dash here, so each rule is table-testable with tiny literal inputs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from dashboard.filters import LEVELS


def share(part: float, whole: float) -> float:
    """``part / whole`` as a fraction, 0 when ``whole`` is 0 (an empty week shows 0%, not an error)."""
    return float(part) / float(whole) if whole else 0.0


def with_shares(frame: pd.DataFrame, totals: pd.DataFrame, on: str = "week_start") -> pd.DataFrame:
    """Add ``share`` = postings / that week's postings (``totals`` has ``on`` and ``postings``)."""
    if frame.empty:
        return frame.assign(share=pd.Series(dtype=float))
    merged = frame.merge(totals[[on, "postings"]].rename(columns={"postings": "_total"}), on=on, how="left")
    merged["share"] = [share(p, t) for p, t in zip(merged["postings"], merged["_total"], strict=True)]
    return merged.drop(columns="_total")


@dataclass(frozen=True)
class Mover:
    skill: str
    last_share: float
    prev_share: float
    last_count: int
    prev_count: int

    @property
    def change_pp(self) -> float:
        """Change of the share of postings, in percentage points."""
        return (self.last_share - self.prev_share) * 100


def movers(skills: pd.DataFrame, last_total: int, prev_total: int, n: int = 5,
           min_postings: int = 5) -> tuple[list[Mover], list[Mover]]:
    """The ``n`` skills whose share of postings rose most and fell most from the previous week.

    Shares, not counts: when the whole market grows 20%, a skill that grew 20% did not "rise".
    Skills seen in fewer than ``min_postings`` postings in both weeks are noise and are skipped.
    """
    if skills.empty or not last_total or not prev_total:
        return [], []
    found = [
        Mover(str(row.skill), share(row.last_week, last_total), share(row.prev_week, prev_total),
              int(row.last_week), int(row.prev_week))
        for row in skills.itertuples()
        if max(int(row.last_week), int(row.prev_week)) >= min_postings
    ]
    rising = sorted((m for m in found if m.change_pp > 0), key=lambda m: (-m.change_pp, m.skill))[:n]
    falling = sorted((m for m in found if m.change_pp < 0), key=lambda m: (m.change_pp, m.skill))[:n]
    return rising, falling


def characteristic_skills(skills: pd.DataFrame, level_totals: dict[str, int], top: int = 5,
                          min_postings: int = 5, min_level_postings: int = 20) -> dict[str, list[tuple[str, float, float]]]:
    """TF-IDF over seniority levels as documents: ``{level: [(skill, score, share), …]}``.

    - tf(s, l) = share of level l's postings that ask for skill s;
    - idf(s, l) = ln(tf(s, l) / mean over levels of tf(s, l)): how much more often level l asks for
      the skill than the levels do on average. A 0/1 document frequency is useless here (with
      enough postings every skill appears at every level, so every idf would be ln(1) = 0); this
      graded form gives 0 to a skill asked for at the same rate everywhere ("python" in half of
      all postings), however frequent, and keeps only skills a level asks for more than average.
    - score = tf * idf; levels with fewer than ``min_level_postings`` postings are left out (too
      few to characterise), and skill/level pairs under ``min_postings`` postings are noise.
    """
    levels = [lv for lv in LEVELS if level_totals.get(lv, 0) >= min_level_postings and lv in skills.columns]
    if skills.empty or len(levels) < 2:
        return {}
    tf = {lv: skills[lv].astype(float) / level_totals[lv] for lv in levels}
    mean_tf = sum(tf.values()) / len(levels)
    out: dict[str, list[tuple[str, float, float]]] = {}
    for lv in levels:
        scored = []
        for skill, count, t, mean in zip(skills["skill"], skills[lv], tf[lv], mean_tf, strict=True):
            if count < min_postings or t <= mean:
                continue
            scored.append((str(skill), t * math.log(t / mean), float(t)))
        scored.sort(key=lambda item: (-item[1], item[0]))
        out[lv] = scored[:top]
    return out


def pct_change(last: float, prev: float) -> float | None:
    """Relative change in percent, None when there is nothing to compare with."""
    if not prev:
        return None
    return (float(last) - float(prev)) / float(prev) * 100
