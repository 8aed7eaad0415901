"""``skillpulse up``: one process that owns chDB and runs the worker, the dashboard and a schedule."""
