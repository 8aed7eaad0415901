"""The live page of ``skillpulse up``: a status line, and views that refresh when the data changes.

A timer compares the data's freshness token with the one the page last drew; when it moved, the
filters store is re-emitted with the new token, so every view redraws (from cache when nothing it
reads changed) and the weekly volume grows while one watches.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from dash import Dash, Input, Output, State, no_update

from dashboard.queries import DashboardData

log = logging.getLogger(__name__)


def register(app: Dash, data: DashboardData, status: Callable[[], str]) -> None:
    @app.callback(Output("filters", "data", allow_duplicate=True), Output("live-status", "children"),
                  Input("live-tick", "n_intervals"), State("filters", "data"), prevent_initial_call=True)
    def tick(_n, store):
        try:
            line = status()
        except Exception:  # noqa: BLE001 - the status line must never break the page
            log.exception("status line failed")
            line = "status unavailable"
        try:
            token = data.token()
        except Exception:  # noqa: BLE001 - the database is away: the views say so themselves
            return no_update, line
        if store is None or store.get("fresh") == token:
            return no_update, line
        return {**store, "fresh": token}, line
