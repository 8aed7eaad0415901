"""One settings object for every part of SkillPulse.

Each field is read from the environment variable named in its ``alias`` (or an optional ``.env``
file in the working directory); the README's configuration table lists the same names and defaults.
"""
from __future__ import annotations

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

    @property
    def resolved_clickhouse_url(self) -> str:
        """The ClickHouse URL in use: ``CLICKHOUSE_URL`` or embedded chDB under ``data_dir``."""
        if self.clickhouse_url:
            return self.clickhouse_url
        return f"chdb://{(self.data_dir / 'clickhouse').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
