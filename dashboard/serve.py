"""Production serving: gunicorn (threads, app built in the worker after fork), else waitress."""
from __future__ import annotations


def _wsgi(settings):
    from dashboard.app import create_app

    return create_app(None, settings).server


def serve(host: str, port: int, settings, workers: int = 1, threads: int = 8) -> None:
    """Serve on ``settings`` until stopped. The app (and its ClickHouse client) is created inside the
    worker process, never before a fork, so an embedded chDB is opened by exactly one process."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:  # e.g. Windows: gunicorn does not run there
        import waitress

        waitress.serve(_wsgi(settings), host=host, port=port, threads=threads)
        return

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", "-")

        def load(self):
            return _wsgi(settings)

    _App().run()
