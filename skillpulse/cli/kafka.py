"""``skillpulse kafka start|stop|status``: the local single-node Kafka (KRaft) for development."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(name="kafka", help="Run a local single-node Apache Kafka (KRaft).", no_args_is_help=True)

PortOption = Annotated[int | None, typer.Option(help="Broker port (default KAFKA_PORT, 9092); the controller uses port+1.")]
DirOption = Annotated[Path | None, typer.Option(help="State folder (default $SKILLPULSE_DATA_DIR/kafka).")]


def _broker(settings, port: int | None, data_dir: Path | None):
    from skillpulse.kafka.local import LocalKafka

    return LocalKafka(data_dir or settings.data_dir / "kafka", port or settings.kafka_port, kafka_home=settings.kafka_home,
                      cache_dir=settings.cache_dir)


@app.command("start")
def start(port: PortOption = None, data_dir: DirOption = None,
          timeout: Annotated[float, typer.Option(help="Seconds to wait for the broker to answer.")] = 90) -> None:
    """Start Apache Kafka (fetching its jars from Maven Central on first use) and create the topics."""
    from skillpulse.kafka.admin import ensure_topics
    from skillpulse.kafka.local import KafkaSetupError

    from skillpulse.cli import load_settings

    settings = load_settings()
    broker = _broker(settings, port, data_dir)
    try:
        bootstrap = broker.start(timeout)
        created = ensure_topics(bootstrap, settings)
    except KafkaSetupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"Kafka is up at {bootstrap} (log: {broker.log_file})"
               + (f"; created topics {', '.join(created)}" if created else ""))
    typer.echo(f"export KAFKA_BOOTSTRAP={bootstrap}   # for other shells; stop with: skillpulse kafka stop")


@app.command("stop")
def stop(port: PortOption = None, data_dir: DirOption = None) -> None:
    """Stop the local broker (its data stays in the state folder)."""
    from skillpulse.cli import load_settings

    broker = _broker(load_settings(), port, data_dir)
    typer.echo("stopped" if broker.stop() else "no local broker was running")


@app.command("status")
def status(port: PortOption = None, data_dir: DirOption = None) -> None:
    """Say whether the local broker runs (exit 1 if not)."""
    from skillpulse.cli import load_settings

    broker = _broker(load_settings(), port, data_dir)
    if broker.is_running():
        typer.echo(f"running at {broker.bootstrap} (pid {broker.pid()}, log {broker.log_file})")
    else:
        typer.echo("not running; start it with: skillpulse kafka start")
        raise typer.Exit(1)
