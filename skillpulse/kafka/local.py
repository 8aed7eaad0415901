"""A local single-node Apache Kafka 4.x (KRaft, combined broker + controller) from the official jars.

The jars come from Maven Central once (``mvn dependency:copy-dependencies`` over the small pom next
to this file) and are cached in ``<cache_dir>/kafka-<version>/libs`` (``SKILLPULSE_CACHE_DIR``, default
``~/.cache/skillpulse``); ``KAFKA_HOME`` points
at an unpacked Apache Kafka instead. The broker runs as a detached ``java`` process with its state,
config and log file under ``<data_dir>``, so ``skillpulse kafka start`` returns while it keeps running.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from skillpulse.kafka import MAX_MESSAGE_BYTES

KAFKA_VERSION = "4.1.1"


class KafkaSetupError(RuntimeError):
    """Kafka cannot be set up or started here; the message says what to install or check."""


DEFAULT_CACHE_DIR = Path.home() / ".cache" / "skillpulse"  # the default of Settings.cache_dir


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise KafkaSetupError(f"`{tool}` was not found on PATH: {hint}")
    return path


def ensure_jars(kafka_home: Path | None = None, cache_dir: Path = DEFAULT_CACHE_DIR) -> Path:
    """The folder of broker jars (under ``cache_dir``), fetching them from Maven Central on first use."""
    if kafka_home is not None:
        libs = Path(kafka_home) / "libs"
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise KafkaSetupError(f"KAFKA_HOME={kafka_home} has no libs/kafka_2.13-*.jar; unset it to use the cached jars")
        return libs
    libs = Path(cache_dir) / f"kafka-{KAFKA_VERSION}" / "libs"
    if any(libs.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
        return libs
    mvn = _require("mvn", "install Maven (apt-get install maven) or set KAFKA_HOME to an unpacked Kafka")
    _require("java", "install Java 17 (apt-get install openjdk-17-jre-headless)")
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs-", dir=libs.parent))
    pom = resources.files("skillpulse.kafka").joinpath("pom.xml")
    with resources.as_file(pom) as pom_path:
        result = subprocess.run(
            [mvn, "-q", "-B", "-f", str(pom_path), "dependency:copy-dependencies", f"-DoutputDirectory={staging}"],
            capture_output=True, text=True,
        )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise KafkaSetupError(f"fetching the Kafka jars with Maven failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    try:
        staging.rename(libs)
    except OSError:  # another process won the race; its copy is as good
        shutil.rmtree(staging, ignore_errors=True)
    return libs


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class LocalKafka:
    """One KRaft node on 127.0.0.1:``port`` (controller on ``controller_port``) keeping state in ``data_dir``."""

    data_dir: Path
    port: int = 9092
    controller_port: int | None = None
    kafka_home: Path | None = None
    heap: str = "512m"
    cache_dir: Path = DEFAULT_CACHE_DIR  # where the jars are cached (Settings.cache_dir)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        if self.controller_port is None:
            self.controller_port = self.port + 1

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "kafka.log"

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "kafka.pid"

    def _config(self) -> Path:
        logs = self.data_dir / "logs"
        config = self.data_dir / "server.properties"
        config.write_text(
            "\n".join([
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                f"log.dirs={logs}",
                "num.partitions=1",
                "auto.create.topics.enable=false",  # topics are created explicitly (skillpulse.kafka.admin)
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=6",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                f"message.max.bytes={MAX_MESSAGE_BYTES}",  # a 5 MB posting must reach the worker (and the DLQ)
                f"replica.fetch.max.bytes={MAX_MESSAGE_BYTES}",
                "log.retention.hours=-1",  # postings.raw is the replayable history
                "",
            ])
        )
        return config

    def pid(self) -> int | None:
        """The broker's pid if it runs, else None."""
        try:
            pid = int(self._pid_file.read_text())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None

    def is_running(self) -> bool:
        return self.pid() is not None and _port_open(self.port)

    def start(self, timeout: float = 90.0) -> str:
        """Start the broker (formatting its storage on first start) and wait until it answers."""
        if self.is_running():
            return self.bootstrap
        if _port_open(self.port):
            raise KafkaSetupError(f"port {self.port} is taken by another program; set KAFKA_PORT or stop it")
        java = _require("java", "install Java 17 (apt-get install openjdk-17-jre-headless)")
        libs = ensure_jars(self.kafka_home, self.cache_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self._config()
        classpath = f"{libs}/*"
        if not (self.data_dir / "logs" / "meta.properties").exists():
            cluster_id = uuid.uuid4().bytes
            import base64

            cid = base64.urlsafe_b64encode(cluster_id).decode().rstrip("=")
            fmt = subprocess.run([java, "-cp", classpath, "kafka.tools.StorageTool", "format", f"--cluster-id={cid}", "-c", str(config)],
                                 capture_output=True, text=True)
            if fmt.returncode != 0:
                raise KafkaSetupError(f"formatting Kafka storage failed: {fmt.stdout}{fmt.stderr}")
        log4j = resources.files("skillpulse.kafka").joinpath("log4j2.yaml")
        with resources.as_file(log4j) as log4j_path, open(self.log_file, "ab") as log:
            process = subprocess.Popen(
                [java, f"-Xmx{self.heap}", "-Xms128m", "-XX:+UseSerialGC", f"-Dlog4j2.configurationFile={log4j_path}",
                 "-cp", classpath, "kafka.Kafka", str(config)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        self._pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise KafkaSetupError(f"Kafka exited with status {process.returncode}; see {self.log_file}")
            if _port_open(self.port) and self._answers():
                return self.bootstrap
            time.sleep(0.5)
        self.stop()
        raise KafkaSetupError(f"Kafka did not answer on {self.bootstrap} within {timeout:.0f}s; see {self.log_file}")

    def _answers(self) -> bool:
        from confluent_kafka.admin import AdminClient

        try:
            brokers = AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=2).brokers
            return bool(brokers)
        except Exception:
            return False

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``); True if one was running."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                finished, _ = os.waitpid(pid, os.WNOHANG)
                if finished == pid:
                    break
            except ChildProcessError:  # not our child: poll for its end
                pass
            if self.pid() is None:
                break
            time.sleep(0.2)
        else:
            os.kill(pid, signal.SIGKILL)
        self._pid_file.unlink(missing_ok=True)
        return True
