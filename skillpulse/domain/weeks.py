"""Weeks start on Monday everywhere: in the tables (``toMonday``), the dashboard, the batch and the generator."""
from __future__ import annotations

import datetime as dt


def monday(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (ClickHouse's ``toMonday``)."""
    return day - dt.timedelta(days=day.weekday())
