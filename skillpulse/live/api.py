"""The instance's HTTP API, on the dashboard's server: ``/api/query``, ``/api/batch``, ``/api/status``.

Every call needs the token ``skillpulse up`` wrote into the data directory (``Authorization: Bearer
TOKEN``), compared in constant time, so only a local user who can read the data can query it.
Queries run on dedicated chDB clients whose session is switched to ClickHouse's ``readonly = 1``
after the row cap and the timeout are set: a query can then neither write nor lift those limits.
Error bodies carry ClickHouse's message with every secret this process knows replaced by ``***``.
"""
from __future__ import annotations

import datetime as dt
import decimal
import functools
import ipaddress
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request

from skillpulse.instance import token_matches
from skillpulse.settings import Settings

log = logging.getLogger(__name__)
MAX_SQL_CHARS = 100_000


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_value(v) for v in value]
    return str(value)


def respond(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype="application/json")


class ReadOnlyQueries:
    """Runs user SQL read-only, with a row cap and a timeout, on one client per server thread."""

    def __init__(self, settings: Settings, max_rows: int, timeout_s: float):
        self.settings = settings
        self.max_rows = max_rows
        self.timeout_s = timeout_s
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        self.embedded = settings.resolved_clickhouse_url.startswith("chdb://")

    def _client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from skillpulse.storage import connect

            client = connect(self.settings)
            if self.embedded:  # session settings; readonly last, so nothing can change them afterwards
                client.command(f"SET max_execution_time = {float(self.timeout_s)}")
                client.command(f"SET max_result_rows = {int(self.max_rows) + 1}")
                client.command("SET result_overflow_mode = 'break'")
                client.command("SET readonly = 1")
            client.database = self.settings.clickhouse_database
            self._local.client = client
            with self._lock:
                self._opened.append(client)
        return client

    def run(self, sql: str, max_rows: int | None = None) -> dict:
        """``{"columns", "types", "rows", "row_count", "truncated"}`` of one read-only query."""
        cap = min(max_rows or self.max_rows, self.max_rows)
        client = self._client()
        settings = None
        if not self.embedded:  # a server: per-query settings (HTTP has no session here)
            settings = {"readonly": 2, "max_execution_time": self.timeout_s, "max_result_rows": self.max_rows + 1,
                        "result_overflow_mode": "break"}
        try:
            result = client.query(sql, settings=settings)
        except Exception:
            self._local.client = None if not self.embedded else client
            raise
        rows = result.result_rows
        truncated = len(rows) > cap
        rows = rows[:cap]
        types = [t.name for t in getattr(result, "column_types", ())]
        return {"columns": list(result.column_names), "types": types, "rows": [_json_value(list(r)) for r in rows],
                "row_count": len(rows), "truncated": truncated}

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for client in opened:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass


def blueprint(token: Callable[[], str], queries: ReadOnlyQueries, status: Callable[[], dict],
              batch, supervisor, scrub: Callable[[str], str]) -> Blueprint:
    """The ``/api`` routes. ``batch`` is the instance's ``BatchRunner``, ``supervisor`` its parts."""
    api = Blueprint("skillpulse_api", __name__, url_prefix="/api")

    def guarded(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            given = header[7:].strip() if header[:7].lower() == "bearer " else None
            if not token_matches(given, token()):
                return respond({"error": "missing or wrong token: send 'Authorization: Bearer TOKEN' with the token"
                                         " from the data directory's api-token file"}, 401)
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a clean JSON error, never a traceback page
                log.exception("api %s failed", request.path)
                return respond({"error": scrub(f"{type(exc).__name__}: {exc}")}, 500)
        return inner

    @api.post("/query")
    @guarded
    def query():
        body = request.get_json(silent=True) or {}
        sql = body.get("sql")
        if not isinstance(sql, str) or not sql.strip():
            return respond({"error": 'send JSON {"sql": "SELECT …"}'}, 400)
        if len(sql) > MAX_SQL_CHARS:
            return respond({"error": f"the SQL is longer than {MAX_SQL_CHARS} characters"}, 400)
        max_rows = body.get("max_rows")
        if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
            return respond({"error": "max_rows must be a positive integer"}, 400)
        try:
            return respond(queries.run(sql, max_rows))
        except Exception as exc:  # noqa: BLE001 - ClickHouse's message names the problem (readonly, syntax…)
            text = scrub(str(exc))
            code = 403 if "READONLY" in text or "readonly mode" in text else 400
            return respond({"error": text}, code)

    @api.post("/batch")
    @guarded
    def run_batch():
        body = request.get_json(silent=True) or {}
        try:
            params = batch.parse(body)
        except ValueError as exc:
            return respond({"error": str(exc)}, 400)
        accepted, state = batch.request(params, "api")
        return respond(state, 202 if accepted else 409)

    @api.get("/batch")
    @guarded
    def batch_state():
        return respond(batch.state())

    @api.get("/status")
    @guarded
    def get_status():
        return respond(status())

    @api.post("/parts/<name>/restart")
    @guarded
    def restart(name: str):
        if name not in supervisor.parts:
            return respond({"error": f"no part {name!r}; parts: {', '.join(supervisor.parts)}"}, 404)
        if not supervisor.kill(name):
            return respond({"error": f"{name} is not running right now", "part": supervisor.parts[name].status.as_dict()}, 409)
        return respond({"part": name, "status": "restarting"}, 202)

    return api
