"""One settings object for every part of SkillPulse.

Each field is read from the environment variable named in its ``alias`` (or an optional ``.env``
file in the working directory); docs/configuration.md lists the same names and defaults.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Runtime configuration; construct with keyword arguments in tests to override."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True, frozen=True)

    data_dir: Path = Field(Path("data"), validation_alias=_env("SKILLPULSE_DATA_DIR"),
                           description="Local state: embedded ClickHouse, Kafka logs, models, plots.")
    clickhouse_url: str | None = Field(None, validation_alias=_env("CLICKHOUSE_URL"),
                                       description="chdb:///path or http://host:8123; default chdb under data_dir.")
    clickhouse_database: str = Field("skillpulse", validation_alias=_env("CLICKHOUSE_DATABASE"))
    kafka_bootstrap: str | None = Field(None, validation_alias=_env("KAFKA_BOOTSTRAP"),
                                        description="host:port of a Kafka broker; unset = the local broker.")
    kafka_home: Path | None = Field(None, validation_alias=_env("KAFKA_HOME"),
                                    description="An unpacked Apache Kafka to use instead of the cached jars.")
    kafka_port: int = Field(9092, validation_alias=_env("KAFKA_PORT"))
    raw_topic: str = Field("postings.raw", validation_alias=_env("RAW_TOPIC"))
    dlq_topic: str = Field("postings.dlq", validation_alias=_env("DLQ_TOPIC"))
    topic_partitions: int = Field(6, validation_alias=_env("TOPIC_PARTITIONS"))
    pipeline_version: str = Field("v1", validation_alias=_env("PIPELINE_VERSION"),
                                  description="Written on every stored posting; replays use a new one.")
    sink_batch_size: int = Field(1000, validation_alias=_env("SINK_BATCH_SIZE"))
    sink_max_wait_s: float = Field(0.5, validation_alias=_env("SINK_MAX_WAIT_S"))
    worker_group: str = Field("skillpulse-worker", validation_alias=_env("SKILLPULSE_WORKER_GROUP"),
                              description="Consumer group (= Faust app id) of the worker, `skillpulse up` and the demo.")
    dedupe_ttl_days: float = Field(30.0, gt=0, validation_alias=_env("DEDUPE_TTL_DAYS"),
                                   description="How long a posting_key is remembered for dedupe (stream time).")
    taxonomy_path: Path | None = Field(None, validation_alias=_env("SKILLPULSE_TAXONOMY"),
                                       description="A taxonomy YAML to use instead of the packaged one.")
    extractor: str = Field("taxonomy", validation_alias=_env("SKILLPULSE_EXTRACTOR"),
                           description="taxonomy | hybrid (taxonomy + the promoted model).")
    span_model: str | None = Field(None, validation_alias=_env("SKILLPULSE_SPAN_MODEL"),
                                   description="BIO tagger folder or HF id for model/hybrid spans; "
                                               "default the promoted model.")
    llm_base_url: str | None = Field(None, validation_alias=_env("LLM_BASE_URL"))
    llm_model: str = Field("gpt-4o-mini", validation_alias=_env("LLM_MODEL"))
    llm_api_key: str | None = Field(None, validation_alias=_env("LLM_API_KEY"), repr=False)
    rapid_api_key: str | None = Field(None, validation_alias=_env("RAPID_API_KEY"), repr=False)
    encoder: str | None = Field(None, validation_alias=_env("SKILLPULSE_ENCODER"),
                                description="HF id or path of the sentence encoder; default the offline MiniLM.")
    posted_date_min: dt.date = Field(dt.date(1990, 1, 1), validation_alias=_env("POSTED_DATE_MIN"),
                                     description="Earliest posted_date/scraped_at accepted; older goes to the DLQ.")
    posted_date_max_days_ahead: int = Field(365, ge=0, validation_alias=_env("POSTED_DATE_MAX_DAYS_AHEAD"),
                                            description="How far after today a posted_date may lie.")
    csv_max_rows: int = Field(100_000, ge=1, validation_alias=_env("CSV_MAX_ROWS"),
                              description="Most rows one /download/postings.csv answer holds.")
    csv_max_concurrent: int = Field(2, ge=1, validation_alias=_env("CSV_MAX_CONCURRENT"),
                                    description="Downloads served at once; more get HTTP 429.")
    csv_timeout_s: float = Field(60.0, gt=0, validation_alias=_env("CSV_TIMEOUT_S"),
                                 description="Longest one CSV download may run (ClickHouse max_execution_time).")

    @property
    def contract_bounds(self):
        """The raw posting contract's date bounds (``schemas.postings.ContractBounds``)."""
        from schemas.postings import ContractBounds

        return ContractBounds(self.posted_date_min, self.posted_date_max_days_ahead)

    @property
    def display_clickhouse_url(self) -> str:
        """The ClickHouse URL with any password masked: the only form to log, print or return."""
        return redact_url(self.resolved_clickhouse_url)

    schedule_producers: str = Field("0 6 * * 1", validation_alias=_env("SCHEDULE_PRODUCERS"),
                                    description="skillpulse up: cron (local time) of the producers' runs; empty = never.")
    schedule_batch: str = Field("0 7 * * 1", validation_alias=_env("SCHEDULE_BATCH"),
                                description="skillpulse up: cron (local time) of the weekly batch; empty = never.")
    produce_files: Path | None = Field(None, validation_alias=_env("PRODUCE_FILES"),
                                       description="skillpulse up: a folder the scheduled producers also read.")
    api_max_rows: int = Field(10_000, validation_alias=_env("API_MAX_ROWS"),
                              description="skillpulse up: most rows one /api/query answer returns.")
    api_timeout_s: float = Field(30.0, validation_alias=_env("API_TIMEOUT_S"),
                                 description="skillpulse up: longest run of one /api/query, seconds.")
    linkedin_api_base_url: str = Field("https://linkedin-job-search-api.p.rapidapi.com",
                                       validation_alias=_env("LINKEDIN_API_BASE_URL"),
                                       description="LinkedIn Job Search API (RapidAPI); tests point it at a loopback server.")
    jobtech_api_base_url: str = Field("https://jobsearch.api.jobtechdev.se", validation_alias=_env("JOBTECH_API_BASE_URL"),
                                      description="JobTech JobSearch API; tests point it at a loopback server.")
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "skillpulse",
                            validation_alias=_env("SKILLPULSE_CACHE_DIR"),
                            description="Kept between runs: the Apache Kafka jars; skillpulse enrich's "
                                        "compiled taxonomies.")
    instance_url: str | None = Field(None, validation_alias=_env("SKILLPULSE_URL"),
                                     description="skillpulse db query: a running `skillpulse up` to ask; "
                                                 "default the one the data directory's lock names.")
    api_token: str | None = Field(None, validation_alias=_env("SKILLPULSE_API_TOKEN"), repr=False,
                                  description="skillpulse db query: that instance's API token; default DATA_DIR/api-token.")

    @property
    def resolved_clickhouse_url(self) -> str:
        """The ClickHouse URL in use: ``CLICKHOUSE_URL`` or embedded chDB under ``data_dir``."""
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"


def redact_url(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (``http://u:***@host``)."""
    return redact_text(url)


def redact_text(text: str) -> str:
    """Every ``scheme://user:password@`` in ``text`` with the password masked; linear time, no regex.

    Used on URLs and on error messages that may quote one (driver errors, LLM error bodies).
    """
    if "://" not in text or "@" not in text:
        return text
    out, pos = [], 0
    while (mark := text.find("://", pos)) >= 0:
        start = mark + 3
        end = start
        while end < len(text) and text[end] not in "/?# \t\n\r\"'<>":
            end += 1
        authority = text[start:end]
        at = authority.rfind("@")
        if at >= 0:
            user = authority[:at].split(":", 1)[0]
            out.append(text[pos:start] + (f"{user}:***@" if ":" in authority[:at] else f"{user}@"))
            out.append(authority[at + 1:])
        else:
            out.append(text[pos:end])
        pos = end
    out.append(text[pos:])
    return "".join(out)


def install_log_redaction() -> None:
    """Mask passwords in every log record of this process (URLs quoted by any library's message).

    A record factory, not a handler filter, so it holds whichever handlers Faust, gunicorn or
    ``logging.basicConfig`` install later. Idempotent.
    """
    import logging

    factory = logging.getLogRecordFactory()
    if getattr(factory, "skillpulse_redacting", False):
        return

    def redacting(*args, **kwargs):
        record = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the logging module's to report
            return record
        if "://" in message and "@" in message:
            record.msg, record.args = redact_text(message), ()
        return record

    redacting.skillpulse_redacting = True
    logging.setLogRecordFactory(redacting)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
