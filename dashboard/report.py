"""``skillpulse report``: the seed's three charts as PNG (matplotlib) and the skill map (2D PNG, 3D HTML).

Reads through the same queries as the dashboard (all postings of the active version).
"""
from __future__ import annotations

from pathlib import Path

from dashboard.filters import LEVELS, Filters
from dashboard.queries import ClientPool, DashboardData, DataError

MAP_LABELS = 40  # the skill map names its most frequent skills


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 120, "axes.spines.top": False, "axes.spines.right": False,
                         "axes.grid": True, "axes.grid.axis": "y", "axes.axisbelow": True,
                         "grid.color": "#e5e7eb", "font.size": 10})
    return plt


def write_report(out: Path, client=None, settings=None, data: DashboardData | None = None) -> tuple[list[Path], list[str]]:
    """Write the files into ``out``; returns ``(written paths, reasons for anything skipped)``.

    Reads ``data``, or else ClickHouse through ``client`` / ``settings`` (one of them is needed then).
    """
    own = data is None
    if data is None:
        if settings is None:
            raise ValueError("write_report: pass settings (or data)")
        data = DashboardData(ClientPool(client, settings), settings.clickhouse_database)
    try:
        return _write(out, data)
    finally:
        if own:
            data.pool.close()


def _write(out: Path, data: DashboardData) -> tuple[list[Path], list[str]]:
    from dashboard import figures

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    skipped: list[str] = []
    plt = _pyplot()
    f = Filters()
    try:
        weeks = data.weeks(f)
        weekly = data.weekly(f)
        skills = data.skills(f)
    except DataError as exc:
        return [], [str(exc)]
    if weeks.empty:
        skipped.append("no postings yet: the seed charts need data (run the worker or `make demo`)")
    else:
        fig, ax = plt.subplots(figsize=(10, 5))
        ax.plot(weeks["week_start"], weeks["postings"], marker="o", color=figures.PRIMARY, label="All postings")
        ax.plot(weeks["week_start"], weeks["ai_relevant"], color=figures.ACCENT, label="AI-relevant (score ≥ 0.5)")
        ax.set_title("Weekly Trends in AI Job Postings")
        ax.set_xlabel("Week Start Date")
        ax.set_ylabel("Number of Job Postings")
        ax.legend()
        fig.autofmt_xdate()
        fig.tight_layout()
        written.append(_save(fig, out / "weekly_job_volume.png", plt))

        top = skills.nlargest(10, "total")
        tax = data.taxonomy()
        cats = dict(zip(tax["skill"], tax["category"], strict=True)) if not tax.empty else {}
        fig, ax = plt.subplots(figsize=(10, 5.5))
        ax.bar(top["skill"], top["total"], color=[figures.CATEGORY_COLORS.get(cats.get(s), "#9ca3af") for s in top["skill"]])
        ax.set_title("Top 10 Most Requested AI Skills (Overall)")
        ax.set_xlabel("Skill")
        ax.set_ylabel("Count")
        plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
        fig.tight_layout()
        written.append(_save(fig, out / "top_skills.png", plt))

        totals = weekly.groupby("seniority_level")["postings"].sum()
        levels = [lv for lv in LEVELS if lv in totals.index]
        fig, ax = plt.subplots(figsize=(9, 5))
        ax.bar([figures.level_label(lv) for lv in levels], [int(totals[lv]) for lv in levels],
               color=[figures.LEVEL_COLORS[lv] for lv in levels])
        ax.set_title("AI Job Demand Distribution Across Seniority Levels")
        ax.set_xlabel("Seniority Level")
        ax.set_ylabel("Number of Job Postings")
        fig.tight_layout()
        written.append(_save(fig, out / "seniority_distribution.png", plt))

    run, points = data.clusters()
    if points.empty:
        skipped.append("no skill clusters yet: run `skillpulse batch weekly` for the cluster plots")
    else:
        title = f"Skill clusters, run {run.get('run_id', '')}"
        written += write_cluster_plots(points, out / "skill_clusters_2d.png", out / "skill_clusters_3d.html", title)
    return written, skipped


def write_cluster_plots(points, png: Path, html: Path, title: str) -> list[Path]:
    """The skill map as a static 2-D PNG (matplotlib) and an interactive 3-D HTML page (plotly, self-contained).

    ``points`` holds ``skill_clusters`` columns; ``skillpulse report`` and the weekly batch both write
    their plots here. Returns ``[png, html]``.
    """
    from dashboard import figures

    plt = _pyplot()
    use_2d = bool((points["x2d"].abs() + points["y2d"].abs()).sum())
    xs, ys = (points["x2d"], points["y2d"]) if use_2d else (points["x"], points["y"])
    fig, ax = plt.subplots(figsize=(10, 7))
    colors = [figures.CLUSTER_COLORS[int(c) % len(figures.CLUSTER_COLORS)] for c in points["cluster"]]
    top = max(int(points["count"].max()), 1)
    ax.scatter(xs, ys, c=colors, s=[20 + 300 * (int(c) / top) ** 0.5 for c in points["count"]], alpha=0.8,
               edgecolors="white", linewidths=0.5)
    labelled = set(points["count"].astype(int).nlargest(MAP_LABELS).index)
    for i, x, y, skill in zip(points.index, xs, ys, points["skill"], strict=True):
        if i in labelled:
            ax.annotate(skill, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    clusters = points["cluster"].nunique()
    ax.set_title(f"{title}: {len(points)} skills, {clusters} clusters (UMAP 2-D)")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    fig.tight_layout()
    html.parent.mkdir(parents=True, exist_ok=True)
    written = [_save(fig, png, plt)]
    figures.cluster_map(points, "3d", f"{title} (UMAP 3-D)").write_html(str(html), include_plotlyjs=True,
                                                                       full_html=True)
    return written + [html]


def _save(fig, path: Path, plt) -> Path:
    fig.savefig(path)
    plt.close(fig)
    return path
