"""The ``skillpulse`` command: one entry point to every part of the system.

Each part registers its own commands from a light ``cli`` module (heavy imports stay inside the
command functions, so ``skillpulse enrich`` never loads Kafka, torch or Dash).
"""
from __future__ import annotations

import typer

from batch.cli import app as batch_app
from dashboard.cli import dashboard, report
from producers.cli import app as produce_app
from skillpulse.db_cli import app as db_app
from skillpulse.demo import demo
from skillpulse.enrich_cli import enrich
from skillpulse.kafka_cli import app as kafka_app
from skillpulse.live.up import up
from skillpulse.schemas_cli import app as schemas_app
from skillpulse.spans_cli import spans
from stream_processors.cli import replay, worker

app = typer.Typer(
    name="skillpulse",
    help="SkillPulse: what the job market asks of AI and data people, week by week.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)
app.command("enrich")(enrich)
app.command("spans")(spans)
app.add_typer(produce_app, name="produce", help="Send job postings to Kafka (or a JSONL file).")
app.command("worker")(worker)
app.command("replay")(replay)
app.add_typer(kafka_app, name="kafka", help="Run a local single-node Apache Kafka (KRaft).")
app.add_typer(db_app, name="db", help="ClickHouse: migrate the schema, run SQL.")
app.add_typer(batch_app, name="batch", help="The weekly batch: relabel, retrain, cluster.")
app.command("dashboard")(dashboard)
app.command("report")(report)
app.command("demo")(demo)
app.command("up")(up)
app.add_typer(schemas_app, name="schemas", help="Message contracts: export JSON Schema.")


@app.callback()
def _main() -> None:
    """SkillPulse: what the job market asks of AI and data people, week by week."""
    from skillpulse.settings import install_log_redaction

    install_log_redaction()  # no password of a configured URL reaches a log line

if __name__ == "__main__":  # pragma: no cover
    app()
