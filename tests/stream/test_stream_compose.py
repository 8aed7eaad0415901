"""docker-compose.yml: no Docker engine runs here, so the file is parsed and checked for what `up` needs."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from skillpulse.kafka import MAX_MESSAGE_BYTES

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "producer", "worker", "dashboard", "batch")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_images(compose):
    services = compose["services"]
    assert set(services) >= {"kafka", "clickhouse", *APP_SERVICES}
    assert services["kafka"]["image"].startswith("apache/kafka:4.")
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server:")
    for name in APP_SERVICES:
        assert services[name]["build"] == "." and (ROOT / "Dockerfile").is_file()


def test_kafka_is_a_single_kraft_node_without_auto_create(compose):
    env = compose["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert int(env["KAFKA_MESSAGE_MAX_BYTES"]) == MAX_MESSAGE_BYTES
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_app_services_point_at_the_containers(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["CLICKHOUSE_URL"].startswith("http://") and "@clickhouse:8123" in env["CLICKHOUSE_URL"]


def test_start_order_waits_for_healthy_infrastructure(compose):
    services = compose["services"]
    for name in ("kafka", "clickhouse", "dashboard"):
        assert services[name]["healthcheck"]["test"], f"{name} needs a healthcheck"
    worker = services["worker"]["depends_on"]
    assert worker["kafka"]["condition"] == worker["clickhouse"]["condition"] == "service_healthy"
    assert worker["migrate"]["condition"] == "service_completed_successfully"
    assert services["producer"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in ("dashboard", "batch"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "batch weekly" in " ".join(services["batch"]["command"])  # runs on a schedule
    assert set(compose["volumes"]) >= {"kafka-data", "clickhouse-data"}


def test_every_command_exists_in_the_cli(compose):
    from skillpulse.cli import app

    runner = CliRunner()
    for name in ("migrate", "producer", "worker", "dashboard"):
        command = compose["services"][name]["command"]
        words = [w for w in command if not w.startswith("-")][:2]
        path = words if words[0] in ("db", "produce", "batch", "kafka") else words[:1]
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, f"{name}: skillpulse {' '.join(path)} --help failed: {result.output}"


def test_published_ports_listen_on_loopback_and_credentials_come_from_the_env_file(compose):
    services = compose["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("${BIND_ADDRESS:-127.0.0.1}:"), f"{name} publishes {port} on every interface"
    text = (ROOT / "docker-compose.yml").read_text()
    assert "skillpulse:skillpulse@" not in text and "CLICKHOUSE_PASSWORD: skillpulse" not in text
    assert services["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD"].startswith("${CLICKHOUSE_PASSWORD:?")
    example = (ROOT / ".env.example").read_text()
    assert "CLICKHOUSE_PASSWORD=" in example and "BIND_ADDRESS=127.0.0.1" in example
