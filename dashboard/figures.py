"""Plotly figures of the dashboard, built from query results; one look for every chart.

Colours are fixed per meaning (a seniority level, a skill category, an AI tier) so a colour reads the
same on every chart. Each builder returns an "empty state" figure with a sentence instead of axes
when there is nothing to draw.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.filters import LEVELS
from dashboard.metrics import Mover, share, with_shares
from skillpulse.domain.taxonomy import CATEGORIES

FONT = "Inter, Segoe UI, Helvetica Neue, Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"
PRIMARY = "#2b6cb0"
ACCENT = "#d97706"
RISING = "#2f855a"
FALLING = "#c53030"
LEVEL_COLORS = dict(zip(LEVELS, ["#a6d8f0", "#6cb4e4", "#3d8fd1", "#2b66b8", "#3b4a9c", "#4b2f83", "#3a1460"],
                        strict=True))
CATEGORY_COLORS = dict(zip(CATEGORIES, ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2"], strict=True))
TIER_COLORS = {"builder": "#2e4a87", "literacy": "#f2a541"}
CLUSTER_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6",
                  "#9d755d", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]
LEVEL_LABELS = {level: "VP" if level == "vp" else level.title() for level in LEVELS}
CATEGORY_LABELS = {"ml_engineering": "ML engineering", "data_science": "Data science",
                   "ai_infrastructure": "AI infrastructure", "ai_product": "AI product", "ai_strategy": "AI strategy",
                   "general": "General tech"}
GENERAL_COLOR = "#6b7280"
TIER_LABELS = {"builder": "AI engineering (builds AI)", "literacy": "AI literacy (uses AI tools)"}


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level)


def category_label(category: str) -> str:
    return CATEGORY_LABELS.get(category, category)


def _layout(fig: go.Figure, title: str | None = None, x: str | None = None, y: str | None = None,
            height: int = 340, legend: bool = True) -> go.Figure:
    fig.update_layout(
        template="plotly_white", height=height, font={"family": FONT, "color": INK, "size": 13},
        margin={"l": 64, "r": 24, "t": 48 if title else (36 if legend else 12), "b": 48},
        title={"text": title, "x": 0.01, "font": {"size": 15}} if title else None,
        hovermode="x unified" if x == "Week" else "closest",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "font": {"size": 12}} if legend else None,
        showlegend=legend, paper_bgcolor="white", plot_bgcolor="white",
    )
    fig.update_xaxes(title_text=x, gridcolor=GRID, linecolor=GRID, title_font={"color": MUTED})
    fig.update_yaxes(title_text=y, gridcolor=GRID, linecolor=GRID, title_font={"color": MUTED}, rangemode="tozero")
    return fig


def empty(message: str, height: int = 340) -> go.Figure:
    """A figure that says why there is nothing to show (and what to do)."""
    fig = go.Figure()
    fig.add_annotation(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"size": 14, "color": MUTED, "family": FONT}, align="center")
    fig.update_layout(template="plotly_white", height=height, margin={"l": 16, "r": 16, "t": 16, "b": 16},
                      xaxis={"visible": False}, yaxis={"visible": False}, meta={"empty": message})
    return fig


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def volume(weeks: pd.DataFrame) -> go.Figure:
    """Postings per week, AI-relevant postings, and a 4-week moving average."""
    if weeks.empty:
        return empty("No postings match these filters.")
    weeks = weeks.sort_values("week_start")
    shares = [share(a, p) for a, p in zip(weeks["ai_relevant"], weeks["postings"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=weeks["week_start"], y=weeks["postings"], name="All postings", mode="lines+markers",
        line={"color": PRIMARY, "width": 2.5}, marker={"size": 5},
        hovertemplate="%{y:,} postings<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=weeks["week_start"], y=weeks["ai_relevant"], name="AI-relevant (score ≥ 0.5)", mode="lines",
        line={"color": ACCENT, "width": 2}, customdata=[[_pct(s)] for s in shares],
        hovertemplate="%{y:,} AI-relevant (%{customdata[0]})<extra></extra>"))
    if len(weeks) >= 4:
        fig.add_trace(go.Scatter(
            x=weeks["week_start"], y=weeks["postings"].rolling(4).mean(), name="4-week average",
            mode="lines", line={"color": MUTED, "width": 1.5, "dash": "dot"},
            hovertemplate="%{y:,.0f} (4-week avg)<extra></extra>"))
    return _layout(fig, None, "Week", "Number of job postings")


def top_skills(skills: pd.DataFrame, taxonomy: pd.DataFrame, total: int, measure: str, n: int = 10) -> go.Figure:
    """The ``n`` most requested skills over the range, coloured by category."""
    if skills.empty or not total:
        return empty("No skills found in the postings that match these filters.")
    top = skills.nlargest(n, "total").iloc[::-1]
    cats = dict(zip(taxonomy["skill"], taxonomy["category"], strict=True)) if not taxonomy.empty else {}
    values = [share(v, total) * 100 for v in top["total"]] if measure == "share" else list(top["total"])
    fig = go.Figure()
    for category in CATEGORIES + ("general", "other"):
        mask = [cats.get(s, "other") == category for s in top["skill"]]
        if not any(mask):
            continue
        fig.add_trace(go.Bar(
            y=[s for s, m in zip(top["skill"], mask, strict=True) if m],
            x=[v for v, m in zip(values, mask, strict=True) if m],
            customdata=[[c, _pct(share(c, total))] for c, m in zip(top["total"], mask, strict=True) if m],
            orientation="h", name=category_label(category),
            marker_color=CATEGORY_COLORS.get(category, GENERAL_COLOR if category == "general" else "#9ca3af"),
            hovertemplate="<b>%{y}</b><br>%{customdata[0]:,} postings (%{customdata[1]})<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=list(top["skill"]))
    x_title = "Share of postings (%)" if measure == "share" else "Number of postings"
    return _layout(fig, None, x_title, None, height=380)


def movers(rising: list[Mover], falling: list[Mover], last_week: str, prev_week: str) -> go.Figure:
    """Week-over-week change of each skill's share of postings, in percentage points."""
    if not rising and not falling:
        return empty("Movers need two weeks with postings in the selected range.")
    items = sorted(rising + falling, key=lambda m: m.change_pp)
    fig = go.Figure(go.Bar(
        y=[m.skill for m in items], x=[m.change_pp for m in items], orientation="h",
        marker_color=[RISING if m.change_pp > 0 else FALLING for m in items],
        customdata=[[_pct(m.prev_share), _pct(m.last_share), m.prev_count, m.last_count] for m in items],
        hovertemplate=("<b>%{y}</b><br>%{x:+.2f} pp<br>" + prev_week + ": %{customdata[0]} (%{customdata[2]:,})"
                       "<br>" + last_week + ": %{customdata[1]} (%{customdata[3]:,})<extra></extra>")))
    fig.add_vline(x=0, line_color=MUTED, line_width=1)
    fig = _layout(fig, None, "Change in share of postings (percentage points)", None, height=380, legend=False)
    fig.update_layout(title={"text": f"Week of {prev_week} → week of {last_week}", "x": 0.01,
                             "font": {"size": 12, "color": MUTED}}, margin={"t": 32})
    return fig


def seniority(weekly: pd.DataFrame, measure: str) -> go.Figure:
    """Postings per seniority level over the range."""
    if weekly.empty:
        return empty("No postings match these filters.")
    totals = weekly.groupby("seniority_level")["postings"].sum()
    levels = [lv for lv in LEVELS if lv in totals.index]
    grand = int(totals.sum())
    values = [share(totals[lv], grand) * 100 if measure == "share" else int(totals[lv]) for lv in levels]
    fig = go.Figure(go.Bar(
        x=[level_label(lv) for lv in levels], y=values, marker_color=[LEVEL_COLORS[lv] for lv in levels],
        customdata=[[int(totals[lv]), _pct(share(totals[lv], grand))] for lv in levels],
        hovertemplate="<b>%{x}</b><br>%{customdata[0]:,} postings (%{customdata[1]})<extra></extra>"))
    y_title = "Share of postings (%)" if measure == "share" else "Number of job postings"
    return _layout(fig, None, "Seniority level", y_title, legend=False)


def seniority_mix(weekly: pd.DataFrame, measure: str) -> go.Figure:
    """The weekly seniority mix, stacked (100% stacked when showing shares)."""
    if weekly.empty:
        return empty("No postings match these filters.")
    totals = weekly.groupby("week_start", as_index=False)["postings"].sum()
    frame = with_shares(weekly, totals)
    fig = go.Figure()
    for lv in LEVELS:
        part = frame[frame["seniority_level"] == lv]
        if part.empty:
            continue
        fig.add_trace(go.Bar(
            x=part["week_start"], y=part["share"] * 100 if measure == "share" else part["postings"],
            name=level_label(lv), marker_color=LEVEL_COLORS[lv],
            customdata=[[int(p), _pct(s)] for p, s in zip(part["postings"], part["share"], strict=True)],
            hovertemplate=level_label(lv) + ": %{customdata[0]:,} (%{customdata[1]})<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.15)
    y_title = "Share of the week's postings (%)" if measure == "share" else "Number of job postings"
    return _layout(fig, None, "Week", y_title)


def _trend(frame: pd.DataFrame, weeks: pd.DataFrame, key: str, order: list[str], colors: dict[str, str],
           labels: dict[str, str], measure: str, empty_message: str) -> go.Figure:
    if frame.empty or weeks.empty:
        return empty(empty_message)
    frame = with_shares(frame, weeks)
    fig = go.Figure()
    for name in order:
        part = frame[frame[key] == name].sort_values("week_start")
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["week_start"], y=part["share"] * 100 if measure == "share" else part["postings"],
            name=labels.get(name, name), mode="lines", line={"color": colors.get(name, MUTED), "width": 2.2},
            customdata=[[int(p), _pct(s)] for p, s in zip(part["postings"], part["share"], strict=True)],
            hovertemplate=labels.get(name, name) + ": %{customdata[0]:,} (%{customdata[1]})<extra></extra>"))
    y_title = "Share of the week's postings (%)" if measure == "share" else "Number of job postings"
    return _layout(fig, None, "Week", y_title)


def categories(frame: pd.DataFrame, weeks: pd.DataFrame, measure: str, only: tuple[str, ...] = ()) -> go.Figure:
    """Postings asking for at least one skill of each category, per week."""
    if only:
        frame = frame[frame["category"].isin(only)]
    return _trend(frame, weeks, "category", list(CATEGORIES), CATEGORY_COLORS, CATEGORY_LABELS, measure,
                  "No categorised skills in the postings that match these filters.")


def tiers(frame: pd.DataFrame, weeks: pd.DataFrame, measure: str) -> go.Figure:
    """AI engineering (builder) versus AI literacy demand, per week."""
    return _trend(frame, weeks, "tier", ["builder", "literacy"], TIER_COLORS, TIER_LABELS, measure,
                  "No postings mention AI engineering or AI literacy skills under these filters.")


def cluster_map(points: pd.DataFrame, mode: str, title: str | None = None) -> go.Figure:
    """The weekly batch's skill map: UMAP coordinates, colour = cluster, size ~ postings.

    ``points`` holds ``skill_clusters`` columns (skill, cluster, cluster_label, count, x, y, z, x2d,
    y2d); ``mode`` is ``2d`` or ``3d``. The dashboard, ``skillpulse report`` and the batch's
    ``skills_3d.html`` all draw it here.
    """
    if points.empty:
        return empty("No skill clusters yet: run `skillpulse batch weekly`.", height=480)
    three_d = mode == "3d"
    use_2d = not three_d and "x2d" in points and bool((points["x2d"].abs() + points["y2d"].abs()).sum())
    fig = go.Figure()
    top = max(int(points["count"].max()), 1)
    for cluster, part in points.groupby("cluster", sort=True):
        label = str(part["cluster_label"].iloc[0] or "")
        name = f"{int(cluster)}: {label}" if label else f"Cluster {int(cluster)}"
        color = CLUSTER_COLORS[int(cluster) % len(CLUSTER_COLORS)]
        sizes = [6 + 18 * math.sqrt(int(c) / top) for c in part["count"]]
        hover = "<b>%{text}</b><br>%{customdata[0]:,} postings<br>" + name + "<extra></extra>"
        common = {"text": part["skill"], "name": name, "customdata": [[int(c)] for c in part["count"]],
                  "hovertemplate": hover}
        if three_d:
            fig.add_trace(go.Scatter3d(x=part["x"], y=part["y"], z=part["z"], mode="markers",
                                       marker={"size": [s / 2 for s in sizes], "color": color, "opacity": 0.85},
                                       **common))
        else:
            fig.add_trace(go.Scatter(x=part["x2d"] if use_2d else part["x"], y=part["y2d"] if use_2d else part["y"],
                                     mode="markers", marker={"size": sizes, "color": color, "opacity": 0.8,
                                                             "line": {"width": 0.5, "color": "white"}},
                                     **common))
    fig = _layout(fig, title, None, None, height=520)
    fig.update_layout(legend={"orientation": "v", "y": 1, "x": 1.02, "font": {"size": 11}}, margin={"r": 8})
    fig.update_xaxes(showticklabels=False, title_text=None, zeroline=False)
    fig.update_yaxes(showticklabels=False, title_text=None, zeroline=False, rangemode="normal")
    if three_d:
        axis = {"showticklabels": False, "title": "", "backgroundcolor": "white"}
        fig.update_layout(scene={"xaxis": axis, "yaxis": axis, "zaxis": axis})
    return fig
