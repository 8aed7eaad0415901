"""Dash callbacks: URL <-> filters, and one callback per view. Every callback answers with a clear
message instead of a traceback (``DataError`` -> its own message; anything else -> logged + a hint)."""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output, State, ctx, html, no_update

from dashboard import figures, metrics
from dashboard.filters import AI_RELEVANT, LEVELS, Filters, build, from_query
from dashboard.layout import PAGE_SIZE
from dashboard.queries import DashboardData, DataError

log = logging.getLogger(__name__)
FILTER_WIDGETS = ("f-dates.start_date", "f-dates.end_date", "f-source.value", "f-seniority.value",
                  "f-category.value", "f-min-ai.value", "f-measure.value", "f-map.value")


def _message(exc: Exception) -> str:
    if isinstance(exc, DataError):
        return str(exc)
    log.exception("dashboard view failed")
    return f"This view could not be drawn ({type(exc).__name__}). The server log has the details."


def guarded(on_error: Callable[[str], Any], data: DashboardData | None = None):
    """Wrap a callback so that any failure renders ``on_error(message)`` instead of a traceback.

    With ``data``, a successful answer is cached per (callback, arguments, data freshness): building
    Plotly figures costs tens of milliseconds even when the query result is cached.
    """
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args):
            try:
                if data is None:
                    return fn(*args)
                key = json.dumps(args, sort_keys=True, default=str)
                return data.cached("render:" + fn.__name__, (key,), lambda: _plain(fn(*args)))
            except Exception as exc:  # noqa: BLE001 - every failure becomes a message on the page
                return on_error(_message(exc))
        return inner
    return wrap


def _plain(result: Any) -> Any:
    """Figures as plain dicts (serialised once, then reused from the cache)."""
    if isinstance(result, tuple):
        return tuple(_plain(r) for r in result)
    return result.to_plotly_json() if hasattr(result, "to_plotly_json") and hasattr(result, "layout") else result


def to_store(f: Filters) -> dict[str, Any]:
    return {"start": f.start.isoformat() if f.start else None, "end": f.end.isoformat() if f.end else None,
            "sources": list(f.sources), "levels": list(f.levels), "categories": list(f.categories),
            "min_ai": f.min_ai, "measure": f.measure, "map_mode": f.map_mode}


def from_store(data: dict[str, Any] | None) -> Filters:
    data = data or {}
    return build(data.get("start"), data.get("end"), data.get("sources"), data.get("levels"),
                 data.get("categories"), data.get("min_ai"), data.get("measure"), data.get("map_mode"))


def _week(day: Any) -> str:
    return day.strftime("%d %b %Y") if hasattr(day, "strftime") else str(day)


def _kpi(label: str, value: str, sub: str = "", tone: str = "") -> html.Div:
    return html.Div([html.Div(label, className="kpi-label"), html.Div(value, className=f"kpi-value {tone}".strip()),
                     html.Div(sub, className="kpi-sub")], className="kpi")


def _notes(notes: list[str], kind: str = "warn") -> list[html.Div]:
    return [html.Div(n, className=f"banner {kind}") for n in notes]


def register(app: Dash, data: DashboardData) -> None:
    """Attach every callback of the page to ``app``."""

    # --- URL <-> widgets <-> filter store (one circular callback, so the URL is the state) --------
    @app.callback(
        Output("url", "search"), Output("filters", "data"), Output("filter-notes", "children"),
        Output("f-dates", "start_date"), Output("f-dates", "end_date"), Output("f-source", "value"),
        Output("f-seniority", "value"), Output("f-category", "value"), Output("f-min-ai", "value"),
        Output("f-measure", "value"), Output("f-map", "value"),
        Output("csv-link", "href"), Output("f-source", "options"),
        Input("url", "search"), *(Input(*w.split(".")) for w in FILTER_WIDGETS),
    )
    def sync(search, start, end, sources, levels, categories, min_ai, measure, map_mode):
        try:
            from_url = ctx.triggered_id in (None, "url")
            if from_url:
                f = from_query(search)
            else:
                f = build(start, end, sources, levels, categories, min_ai, measure, map_mode)
            query = f.to_query()
            widgets = ((f.start.isoformat() if f.start else None, f.end.isoformat() if f.end else None,
                        list(f.sources), list(f.levels), list(f.categories), f.min_ai, f.measure, f.map_mode)
                       if from_url else (no_update,) * 8)
            # From the URL: keep it as given (a rewrite would re-run this and drop the notes).
            new_search = query if not from_url and (search or "") != query else no_update
            return (new_search, to_store(f), _notes(list(f.notes)), *widgets,
                    "/download/postings.csv" + query, _source_options(f))
        except Exception as exc:  # noqa: BLE001
            return (no_update, to_store(Filters()), _notes([_message(exc)], "error"), *(no_update,) * 8, no_update,
                    no_update)

    def _source_options(f: Filters) -> list[dict[str, str]]:
        """Known sources plus any the link names (a dropdown drops values missing from its options)."""
        try:
            known = list(data.overview().get("sources", []))
        except DataError:
            known = []
        options = [{"label": s, "value": s} for s in known]
        options += [{"label": f"{s} (no postings)", "value": s} for s in f.sources if s not in known]
        return options

    # --- KPIs and the freshness line -------------------------------------------------------------
    def kpi_error(message: str):
        return [_kpi("Postings this week", "—", message)] + [_kpi(x, "—") for x in
                ("Change vs previous week", "AI-relevant roles", "Most demanded skill")], ""

    @app.callback(Output("kpis", "children"), Output("freshness", "children"), Input("filters", "data"))
    @guarded(kpi_error, data)
    def kpis(store):
        f = from_store(store)
        info = data.overview()
        fresh = (f"Data {info['first']:%d %b %Y} – {info['last']:%d %b %Y} · version {data.version()}"
                 if info else "No postings yet")
        weeks = data.weeks(f)
        if weeks.empty:
            return kpi_error("No postings match these filters." if info else
                             "No postings yet: start the worker (`skillpulse worker`) or run `make demo`.")[0], fresh
        last = weeks.iloc[-1]
        week_end = last["week_start"] + dt.timedelta(days=6)
        partial = last["last_date"] < week_end and last["last_date"] == info.get("last")
        sub = f"through {last['last_date']:%a %d %b} (week in progress)" if partial else f"{weeks['postings'].sum():,} in the selected weeks"
        cards = [_kpi(f"Postings, week of {_week(last['week_start'])}", f"{int(last['postings']):,}", sub)]
        if len(weeks) > 1:
            prev = weeks.iloc[-2]
            change = metrics.pct_change(last["postings"], prev["postings"])
            tone = "up" if change and change > 0 else "down" if change and change < 0 else ""
            cards.append(_kpi("Change vs previous week", f"{change:+.1f}%" if change is not None else "—",
                              f"{int(prev['postings']):,} the week of {_week(prev['week_start'])}", tone))
        else:
            cards.append(_kpi("Change vs previous week", "—", "Needs two weeks in the selected range."))
        ai_share = metrics.share(last["ai_relevant"], last["postings"])
        cards.append(_kpi("AI-relevant roles", f"{ai_share * 100:.1f}%",
                          f"of this week's postings score ≥ {AI_RELEVANT} ({int(last['ai_relevant']):,})"))
        top = data.top_skill_of_week(f)
        if top:
            cards.append(_kpi("Most demanded skill", top[0],
                              f"in {metrics.share(top[1], last['postings']) * 100:.1f}% of this week's postings"))
        else:
            cards.append(_kpi("Most demanded skill", "—", "No skills found this week."))
        return cards, fresh

    # --- weekly volume --------------------------------------------------------------------------
    @app.callback(Output("g-volume", "figure"), Input("filters", "data"))
    @guarded(figures.empty, data)
    def volume(store):
        return figures.volume(data.weeks(from_store(store)))

    # --- top skills and movers ------------------------------------------------------------------
    @app.callback(Output("g-top-skills", "figure"), Output("g-movers", "figure"), Input("filters", "data"))
    @guarded(lambda m: (figures.empty(m, 380), figures.empty(m, 380)), data)
    def skills(store):
        f = from_store(store)
        weeks = data.weeks(f)
        table = data.skills(f)
        top = figures.top_skills(table, data.taxonomy(), int(weeks["postings"].sum()) if len(weeks) else 0, f.measure)
        if len(weeks) < 2:
            return top, figures.empty("Movers need two weeks with postings in the selected range.", 380)
        last, prev = weeks.iloc[-1], weeks.iloc[-2]
        rising, falling = metrics.movers(table, int(last["postings"]), int(prev["postings"]))
        return top, figures.movers(rising, falling, _week(last["week_start"]), _week(prev["week_start"]))

    @app.callback(Output("g-general", "figure"), Input("filters", "data"))
    @guarded(lambda m: figures.empty(m, 380), data)
    def general(store):
        f = from_store(store)
        weeks = data.weeks(f)
        return figures.top_skills(data.general_skills(f), data.taxonomy(),
                                  int(weeks["postings"].sum()) if len(weeks) else 0, f.measure)

    # --- seniority ------------------------------------------------------------------------------
    @app.callback(Output("g-seniority", "figure"), Output("g-seniority-mix", "figure"), Input("filters", "data"))
    @guarded(lambda m: (figures.empty(m), figures.empty(m)), data)
    def seniority(store):
        f = from_store(store)
        weekly = data.weekly(f)
        return figures.seniority(weekly, f.measure), figures.seniority_mix(weekly, f.measure)

    # --- categories and AI tiers ----------------------------------------------------------------
    @app.callback(Output("g-categories", "figure"), Input("filters", "data"))
    @guarded(figures.empty, data)
    def categories(store):
        f = from_store(store)
        return figures.categories(data.categories(f), data.weeks(f), f.measure, f.categories)

    @app.callback(Output("g-tiers", "figure"), Input("filters", "data"))
    @guarded(figures.empty, data)
    def tiers(store):
        f = from_store(store)
        return figures.tiers(data.tiers(f), data.weeks(f), f.measure)

    # --- characteristic skills (TF-IDF) ---------------------------------------------------------
    @app.callback(Output("characteristic", "children"), Input("filters", "data"))
    @guarded(lambda m: html.P(m, className="empty"), data)
    def characteristic(store):
        f = from_store(store)
        weekly = data.weekly(f)
        if weekly.empty:
            return html.P("No postings match these filters.", className="empty")
        totals = {str(k): int(v) for k, v in weekly.groupby("seniority_level")["postings"].sum().items()}
        found = metrics.characteristic_skills(data.skills(f), totals)
        if not found:
            return html.P("Characteristic skills compare seniority levels: pick two or more levels (or none) with "
                          "at least 20 postings each.", className="empty")
        rows = []
        for level in LEVELS:
            if level not in found:
                continue
            chips = [html.Span([html.B(skill), f" {share * 100:.0f}%"], className="chip",
                               title=f"{skill}: in {share * 100:.1f}% of {figures.level_label(level)} postings; "
                                     f"TF-IDF {score:.3f}")
                     for skill, score, share in found[level]]
            rows.append(html.Div([
                html.Div([html.Span(className="dot", style={"background": figures.LEVEL_COLORS[level]}),
                          figures.level_label(level), html.Span(f"{totals[level]:,} postings", className="muted")],
                         className="level"),
                html.Div(chips or [html.Span("no skill stands out", className="muted")], className="chips"),
            ], className="char-row"))
        return rows

    # --- skill map and candidates ---------------------------------------------------------------
    @app.callback(Output("g-clusters", "figure"), Output("cluster-note", "children"), Input("filters", "data"))
    @guarded(lambda m: (figures.empty(m, 480), ""), data)
    def clusters(store):
        f = from_store(store)
        run, points = data.clusters()
        if points.empty:
            return figures.cluster_map(points, f.map_mode), ""
        if f.categories:
            tax = data.taxonomy()
            keep = set(tax.loc[tax["category"].isin(f.categories), "skill"])
            points = points[points["skill"].isin(keep)]
            if points.empty:
                return figures.empty("No clustered skills in the selected categories.", 480), ""
        note = (f"Batch run {run['run_id']} (week of {_week(run['week_start'])}): {len(points):,} skills in "
                f"{points['cluster'].nunique()} clusters. The map covers the batch's window; of the filters, only "
                "the skill category applies here.")
        return figures.cluster_map(points, f.map_mode), note

    @app.callback(Output("candidates", "children"), Input("filters", "data"))
    @guarded(lambda m: html.P(m, className="empty"), data)
    def candidates(_store):
        run, frame = data.candidates()
        if frame.empty:
            return html.P("No skill candidates yet: run `skillpulse batch weekly` (it trains the extractor and lists "
                          "what it finds outside the taxonomy).", className="empty")
        head = html.Tr([html.Th("Candidate skill"), html.Th("Postings"), html.Th("Growth"), html.Th("Example"),
                        html.Th("Model")])
        body = [html.Tr([html.Td(row.skill), html.Td(f"{int(row.count):,}"), html.Td(f"{int(row.growth):+d}"),
                         html.Td(str(row.examples[0]) if len(row.examples) else "", className="example"),
                         html.Td(row.model_version, className="muted")]) for row in frame.itertuples()]
        return [html.P(f"Run {run['run_id']}", className="card-note"),
                html.Table([html.Thead(head), html.Tbody(body)], className="simple-table")]

    # --- postings grid (AG Grid, infinite row model: server-side paging and sorting) ---------------
    # The grid asks for one page (a block of rows, with its sort model); ClickHouse answers it. A new
    # filter state empties the grid's block cache and goes back to page 1, so it asks again.
    app.clientside_callback(
        """function (store) {
            dash_ag_grid.getApiAsync("postings-table").then(function (api) {
                api.purgeInfiniteCache();
                api.paginationGoToFirstPage();
            });
        }""",
        Input("filters", "data"), prevent_initial_call=True)

    @app.callback(Output("postings-table", "getRowsResponse"), Output("table-summary", "children"),
                  Input("postings-table", "getRowsRequest"), State("filters", "data"))
    @guarded(lambda m: ({"rowData": [], "rowCount": 0}, m), data)
    def table(request, store):
        f = from_store(store)
        request = request or {}
        start = max(0, int(request.get("startRow") or 0))
        size = max(1, int(request.get("endRow") or start + PAGE_SIZE) - start)
        result = data.postings_page(f, start // size, size, request.get("sortModel"))
        summary = f"{result.total:,} postings" if result.total else "No postings match these filters."
        return {"rowData": result.rows, "rowCount": result.total}, summary
