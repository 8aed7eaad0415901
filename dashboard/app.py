"""``create_app``: the Dash app over a ClickHouse client (given, or opened from the settings).

The demo owns the only chDB process, so it serves this app in-process: ``create_app(client)``.
"""
from __future__ import annotations

import logging
from pathlib import Path

from dash import Dash
from flask import Response, request

from dashboard import callbacks, layout
from dashboard.filters import from_query
from dashboard.queries import ClientPool, DashboardData, DataError
from skillpulse.settings import Settings, get_settings

log = logging.getLogger(__name__)
ASSETS = Path(__file__).with_name("assets")


def _page(data: DashboardData, live_ms: int | None = None):
    def serve():
        try:
            info = data.overview()
            first = info["first"].isoformat() if info else None
            last = info["last"].isoformat() if info else None
            return layout.build(info.get("sources", []) if info else [], first, last, live_ms=live_ms)
        except DataError as exc:
            return layout.build([], None, None, problem=str(exc), live_ms=live_ms)
        except Exception as exc:  # noqa: BLE001 - the page must render; the views say more
            log.exception("layout failed")
            return layout.build([], None, None, problem=f"Could not read the database ({type(exc).__name__}).",
                                live_ms=live_ms)
    return serve


def create_app(client=None, settings: Settings | None = None, data: DashboardData | None = None,
               warm: bool = True, live_status=None, live_ms: int = 5000) -> Dash:
    """The dashboard as a Dash app; ``app.server`` is the Flask WSGI app for production servers.

    ``live_status`` (``skillpulse up``): a function returning the instance's status line; the page then
    shows it and refreshes its views when the data changes. ``warm`` keeps the unfiltered view precomputed in a background thread (see
    ``DashboardData.start_warmer``); ``app.server.config["skillpulse_data"].close()`` stops it.
    """
    settings = settings or get_settings()
    data = data or DashboardData(ClientPool(client, settings), settings.clickhouse_database)
    app = Dash(__name__, title="SkillPulse — skills demand", assets_folder=str(ASSETS),
               update_title=None, suppress_callback_exceptions=False)
    app.layout = _page(data, live_ms if live_status is not None else None)
    callbacks.register(app, data)
    if live_status is not None:
        from dashboard import live

        live.register(app, data, live_status)
    app.server.config["skillpulse_data"] = data
    if warm:
        data.start_warmer()

    @app.server.route("/download/postings.csv")
    def download_csv():
        """The filtered postings as CSV, streamed (filters come from the query string, as in the page URL)."""
        f = from_query(request.query_string.decode("utf-8", "replace"))
        try:
            chunks = data.postings_csv(f)
            first = next(chunks, b"")
        except DataError as exc:
            return Response(f"{exc}\n", status=503, mimetype="text/plain")

        def body():
            yield first
            yield from chunks
        return Response(body(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="skillpulse-postings.csv"'})

    @app.server.route("/healthz")
    def healthz():
        try:
            data.version()
            return {"status": "ok"}
        except DataError as exc:
            return {"status": "no data", "detail": str(exc)}, 503

    return app
