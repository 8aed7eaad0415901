-- Postings of every pipeline version. One row per (pipeline_version, posting_key) after merges;
-- read through the `postings` view (FINAL, active version) for exact answers.
CREATE TABLE IF NOT EXISTS {db}.postings_all
(
    pipeline_version   LowCardinality(String),
    posting_key        String,
    title              String,
    description        String,
    company            String,
    location           String,
    source             LowCardinality(String),
    url                String,
    source_id          String,
    language           LowCardinality(String),
    posted_date        Date,
    week_start         Date DEFAULT toMonday(posted_date),
    scraped_at         Nullable(DateTime64(3, 'UTC')),
    extracted_skills   Array(LowCardinality(String)),
    skill_categories   Array(LowCardinality(String)),
    ai_tiers           Array(LowCardinality(String)),
    seniority_level    LowCardinality(String),
    ai_relevance_score Float32,
    extra              String DEFAULT '{}',
    kafka_partition    Int32 DEFAULT -1,
    kafka_offset       Int64 DEFAULT -1,
    ingested_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY pipeline_version
ORDER BY (pipeline_version, posting_key);

-- Every valid message consumed, duplicates included, keyed by its Kafka position so that a
-- redelivered message replaces its own row: duplicate counts per source stay exact.
CREATE TABLE IF NOT EXISTS {db}.posting_sightings
(
    pipeline_version LowCardinality(String),
    posting_key      String,
    source           LowCardinality(String),
    posted_date      Date,
    kafka_partition  Int32,
    kafka_offset     Int64,
    seen_at          DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(seen_at)
PARTITION BY pipeline_version
ORDER BY (pipeline_version, kafka_partition, kafka_offset);

-- Pipeline versions; the dashboard and the views read the latest 'active' one.
CREATE TABLE IF NOT EXISTS {db}.pipeline_versions
(
    version      String,
    status       LowCardinality(String),
    activated_at DateTime64(3, 'UTC') DEFAULT now64(3),
    note         String DEFAULT ''
)
ENGINE = ReplacingMergeTree(activated_at)
ORDER BY version;

-- The taxonomy in use (refreshed by `skillpulse db migrate`): category and tier per skill.
CREATE TABLE IF NOT EXISTS {db}.skill_taxonomy
(
    skill    String,
    skill_id String,
    category LowCardinality(String),
    tier     LowCardinality(String),
    is_seed  UInt8
)
ENGINE = ReplacingMergeTree
ORDER BY skill;
