"""``create_app``: the Dash app over a ClickHouse client (given, or opened from the settings).

The demo owns the only chDB process, so it serves this app in-process: ``create_app(client, settings)``.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from dash import Dash
from flask import Response, request

from dashboard import callbacks, layout
from dashboard.filters import from_query
from dashboard.queries import ClientPool, DashboardData, DataError
from skillpulse.settings import Settings

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


def create_app(client, settings: Settings, data: DashboardData | None = None,
               warm: bool = True, live_status=None, live_ms: int = 5000) -> Dash:
    """The dashboard as a Dash app over ``client`` (None: clients opened from ``settings`` as needed);
    ``app.server`` is the Flask WSGI app for production servers.

    ``live_status`` (``skillpulse up``): a function returning the instance's status line; the page then
    shows it and refreshes its views when the data changes. ``warm`` keeps the unfiltered view precomputed in a background thread (see
    ``DashboardData.start_warmer``); ``app.server.config["skillpulse_data"].close()`` stops it.
    """
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

    downloads = threading.BoundedSemaphore(settings.csv_max_concurrent)

    @app.server.route("/download/postings.csv")
    def download_csv():
        """The filtered postings as CSV, streamed (filters come from the query string, as in the page URL).

        At most CSV_MAX_CONCURRENT downloads at once (more get 429: each holds a pooled client for
        its whole stream, and the page needs the others), CSV_MAX_ROWS rows, CSV_TIMEOUT_S seconds.
        Error bodies are generic; the reason goes to the server log.
        """
        if not downloads.acquire(blocking=False):
            return Response("Too many downloads at once; try again in a minute.\n", status=429,
                            mimetype="text/plain", headers={"Retry-After": "30"})
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                downloads.release()

        f = from_query(request.query_string.decode("utf-8", "replace"))
        deadline = time.monotonic() + settings.csv_timeout_s
        try:
            chunks = data.postings_csv(f, max_rows=settings.csv_max_rows, timeout_s=settings.csv_timeout_s)
            first = next(chunks, b"")
        except DataError as exc:
            release()
            log.warning("CSV download unavailable: %s", exc)
            return Response("The postings cannot be read right now; see the dashboard page.\n", status=503,
                            mimetype="text/plain")
        except Exception:
            release()
            log.exception("CSV download failed")
            return Response("The download failed; the server log says why.\n", status=500, mimetype="text/plain")

        def body():
            try:
                yield first
                for chunk in chunks:
                    if time.monotonic() > deadline:
                        log.warning("CSV download stopped after %.0fs (CSV_TIMEOUT_S)", settings.csv_timeout_s)
                        break
                    yield chunk
            except Exception:
                log.exception("CSV download failed mid-stream")
            finally:
                chunks.close()
                release()

        def closed() -> None:  # also when the client leaves before the body starts
            try:
                chunks.close()
            except ValueError:  # still running in the serving thread: it closes itself
                pass
            release()
        response = Response(body(), mimetype="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="skillpulse-postings.csv"'})
        response.call_on_close(closed)
        return response

    @app.server.route("/healthz")
    def healthz():
        """``ok`` or 503 with a generic status (no connection details: they stay in the server log)."""
        try:
            data.version()
            return {"status": "ok"}
        except DataError as exc:
            log.warning("healthz: %s", exc)
            return {"status": "unavailable"}, 503

    return app
