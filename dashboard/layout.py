"""The page: header, filter bar, KPI cards and one card per view. No data access here."""
from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.figures import CATEGORY_LABELS, LEVEL_LABELS, empty
from dashboard.filters import AI_RELEVANT, LEVELS
from skillpulse.domain.taxonomy import CATEGORIES

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False}

PAGE_SIZE = 20  # rows per page of the postings grid: one server request per page
# The postings grid's columns. Sorting and paging run in ClickHouse (dashboard.queries.postings_page);
# ``sortable`` columns are the ones it may sort by (queries.SORTABLE).
TABLE_COLUMNS = [
    {"headerName": "Posted", "field": "posted_date", "sortable": True, "width": 110},
    {"headerName": "Title", "field": "title", "sortable": True, "tooltipField": "title", "flex": 2, "minWidth": 180},
    {"headerName": "Company", "field": "company", "sortable": True, "flex": 1, "minWidth": 120},
    {"headerName": "Location", "field": "location", "sortable": True, "flex": 1, "minWidth": 110},
    {"headerName": "Source", "field": "source", "sortable": True, "width": 110},
    {"headerName": "Seniority", "field": "seniority_level", "sortable": True, "width": 110},
    {"headerName": "AI score", "field": "ai_relevance_score", "sortable": True, "width": 100, "type": "rightAligned",
     "valueFormatter": {"function": "params.value == null ? '' : Number(params.value).toFixed(2)"}},
    {"headerName": "Skills", "field": "skills", "sortable": False, "tooltipField": "skills", "flex": 2,
     "minWidth": 180},
]


def _field(label: str, control: Any, width: str = "") -> html.Div:
    return html.Div([html.Label(label, className="field-label"), control], className=f"field {width}".strip())


def _card(title: str, subtitle: str, *children: Any, wide: bool = False, card_id: str | None = None) -> html.Section:
    head = [html.H2(title)]
    if subtitle:
        head.append(html.P(subtitle, className="card-subtitle"))
    return html.Section([html.Div(head, className="card-head"), *children],
                        className="card wide" if wide else "card", id=card_id or f"card-{title[:12]}")


def _graph(graph_id: str, height: int = 340) -> dcc.Loading:
    return dcc.Loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, figure=empty("Loading…", height)),
                       type="dot", color="#2b6cb0", delay_show=300)


def build(sources: list[str], first: str | None, last: str | None, problem: str | None = None,
          live_ms: int | None = None) -> html.Div:
    """The whole page; ``sources``/``first``/``last`` feed the widgets, ``problem`` a banner.

    ``live_ms`` (``skillpulse up``): refresh the views every so often when the data changed, and show
    the instance's status line under the header.
    """
    filters = html.Div([
        _field("Weeks", dcc.DatePickerRange(
            id="f-dates", display_format="YYYY-MM-DD", first_day_of_week=1, clearable=True,
            min_date_allowed=first, max_date_allowed=last, initial_visible_month=last,
            start_date_placeholder_text="First week", end_date_placeholder_text="Last week",
            updatemode="bothdates"), "w-dates"),
        _field("Source", dcc.Dropdown(id="f-source", options=[{"label": s, "value": s} for s in sources],
                                      multi=True, placeholder="All sources")),
        _field("Seniority", dcc.Dropdown(id="f-seniority", multi=True, placeholder="All levels",
                                         options=[{"label": LEVEL_LABELS[lv], "value": lv} for lv in LEVELS])),
        _field("Skill category", dcc.Dropdown(id="f-category", multi=True, placeholder="All categories",
                                              options=[{"label": CATEGORY_LABELS[c], "value": c} for c in CATEGORIES])),
        _field("Minimum AI relevance", dcc.Slider(
            id="f-min-ai", min=0, max=1, step=0.1, value=0, marks={0: "0", 0.5: "0.5", 1: "1"},
            tooltip={"placement": "bottom", "always_visible": False}), "w-slider"),
        _field("Show trends as", dcc.RadioItems(
            id="f-measure", value="count", inline=True, className="toggle",
            options=[{"label": "Counts", "value": "count"}, {"label": "Share of postings", "value": "share"}])),
        html.A("Reset filters", href="/", className="reset", id="reset-link"),
    ], className="filters")

    kpi_placeholder = [html.Div([html.Div("…", className="kpi-value")], className="kpi") for _ in range(4)]
    banner = [html.Div(problem, className="banner error")] if problem else []
    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="filters"),
        html.Header([
            html.Div([html.H1("SkillPulse"),
                      html.P("What the job market asks of AI and data people, week by week.", className="tagline")]),
            html.Div(id="freshness", className="freshness"),
        ], className="topbar"),
        *([html.Div(id="live-status", className="live-status"),
           dcc.Interval(id="live-tick", interval=live_ms)] if live_ms else []),
        filters,
        html.Div(banner, id="problem", className="notes"),
        html.Div(id="filter-notes", className="notes"),
        html.Div(kpi_placeholder, id="kpis", className="kpis"),
        html.Main([
            _card("Weekly job postings", "All postings per week, the AI-relevant ones among them, and the 4-week average.",
                  _graph("g-volume"), wide=True, card_id="card-volume"),
            _card("Top 10 requested AI skills", "Postings asking for each AI skill over the selected weeks; "
                  "colour = category.", _graph("g-top-skills", 380), card_id="card-top-skills"),
            _card("Top 10 general tech skills", "Languages, frameworks, databases and tools (Java, Git, PostgreSQL…) "
                  "in the same postings: counted, never counted as AI.", _graph("g-general", 380),
                  card_id="card-general"),
            _card("Rising and falling skills", "Change of each skill's share of postings, latest week vs the week before.",
                  _graph("g-movers", 380), card_id="card-movers"),
            _card("Demand by seniority level", "Postings per seniority level over the selected weeks.",
                  _graph("g-seniority"), card_id="card-seniority"),
            _card("Weekly seniority mix", "How each week's postings split by seniority.",
                  _graph("g-seniority-mix"), card_id="card-seniority-mix"),
            _card("Skill categories over time", "Postings asking for at least one skill of each category.",
                  _graph("g-categories"), card_id="card-categories"),
            _card("AI engineering vs AI literacy",
                  "Builders (ML, deep learning, PyTorch, LLMs…) versus users of AI tools (prompting, ChatGPT, Copilot…).",
                  _graph("g-tiers"), card_id="card-tiers"),
            _card("What sets each seniority level apart",
                  "The skills most characteristic of each level (TF-IDF): frequent at that level, rare elsewhere, "
                  "so skills every posting asks for do not crowd the list.",
                  dcc.Loading(html.Div(id="characteristic", className="characteristic"), type="dot"),
                  wide=True, card_id="card-characteristic"),
            _card("Skill map", "Skills that appear in similar contexts sit close together (weekly batch: embeddings, "
                  "KMeans clusters, UMAP). Colour = cluster, size = postings.",
                  dcc.RadioItems(id="f-map", value="2d", inline=True, className="toggle",
                                 options=[{"label": "2D", "value": "2d"}, {"label": "3D", "value": "3d"}]),
                  _graph("g-clusters", 520), html.P(id="cluster-note", className="card-note"),
                  wide=True, card_id="card-clusters"),
            _card("Skill candidates", "Skills the trained extractor found that the taxonomy does not have yet: "
                  "review and add the real ones to schemas/taxonomy.yaml.",
                  dcc.Loading(html.Div(id="candidates"), type="dot"), wide=True, card_id="card-candidates"),
            _card("Postings", "The postings behind every chart, with the current filters. Click a column to sort.",
                  html.Div([html.Span(id="table-summary", className="card-note"),
                            html.A("Download CSV", id="csv-link", href="/download/postings.csv", className="button",
                                   target="_blank")], className="table-bar"),
                  dag.AgGrid(
                      id="postings-table", columnDefs=TABLE_COLUMNS, rowModelType="infinite",
                      defaultColDef={"resizable": True, "suppressHeaderMenuButton": True},
                      dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE,
                                       "paginationPageSizeSelector": False, "cacheBlockSize": PAGE_SIZE,
                                       "maxBlocksInCache": 50, "infiniteInitialRowCount": PAGE_SIZE,
                                       "tooltipShowDelay": 300, "rowHeight": 34, "headerHeight": 38},
                      style={"height": f"{38 + 34 * PAGE_SIZE + 52}px", "width": "100%"}),
                  wide=True, card_id="card-postings"),
        ], className="grid"),
        html.Footer([
            html.P(f"AI-relevant = AI relevance score ≥ {AI_RELEVANT} (score = min(skills/5, 1) × 0.6, plus 0.4 when the "
                   "title names AI/ML): an AI job title with at least one taxonomy skill, or five or more skills."),
            html.P("Weeks start on Monday; the date range selects whole weeks. Shares are of the week's (or the "
                   "range's) postings under the same filters. The link in the address bar reproduces this view."),
        ], className="footer"),
    ], className="page")
