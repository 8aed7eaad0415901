-- 005: ClickHouse decides which sighting of a posting is kept: the EARLIEST, whatever crashed when.
--
-- postings_all becomes ReplacingMergeTree(sighting_version). The worker inserts every sighting its
-- fast-path dedupe (the Faust table) takes for a first one, and after a crash or a rebalance that
-- table may take a repeat for one. sighting_version orders sightings so that the earliest by
-- (Kafka timestamp, partition, offset) has the GREATEST version, and ReplacingMergeTree keeps the
-- greatest: a repeat inserted later can never replace the original row (read with FINAL, as the
-- `postings` view does). The version is computed by skillpulse.storage.sighting_version:
--   (2^48-1 - timestamp_ms) << 80 | (2^16-1 - (partition+1)) << 64 | (2^64-1 - (offset+1)).
-- Rows without a Kafka position (benchmarks, tests) get 0 and lose to any sighting.
--
-- ROLLUP PATTERN (copy it for new rollups, e.g. 010_weekly_skill_mentions): a rollup is a plain
-- VIEW over {db}.postings, the deduplicated rows of the active version (one row per posting_key:
-- its earliest sighting), grouped by week_start (Monday) and counting posting_key. No materialized
-- view: an MV fires per inserted block, before ReplacingMergeTree keeps one row per key, so a later
-- sighting with another posted_date or skill set would add the key to a second week or skill. A
-- view over deduplicated rows cannot count a key twice, is fresh at once, and answers in
-- milliseconds at this scale (the dashboard itself scans postings_all FINAL the same way).
--
-- The table swap below runs once (schema_migrations records it): copy, EXCHANGE (atomic), drop.

DROP VIEW IF EXISTS {db}.rollup_weekly_volume_mv;
DROP VIEW IF EXISTS {db}.rollup_weekly_skills_mv;
DROP VIEW IF EXISTS {db}.rollup_weekly_seniority_mv;
DROP VIEW IF EXISTS {db}.rollup_weekly_categories_mv;
DROP TABLE IF EXISTS {db}.rollup_weekly_volume;
DROP TABLE IF EXISTS {db}.rollup_weekly_skills;
DROP TABLE IF EXISTS {db}.rollup_weekly_seniority;
DROP TABLE IF EXISTS {db}.rollup_weekly_categories;

CREATE TABLE IF NOT EXISTS {db}.postings_all_005
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
    kafka_timestamp    DateTime64(3, 'UTC') DEFAULT 0,
    sighting_version   UInt128 DEFAULT 0,
    ingested_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(sighting_version)
PARTITION BY pipeline_version
ORDER BY (pipeline_version, posting_key);

INSERT INTO {db}.postings_all_005
    (pipeline_version, posting_key, title, description, company, location, source, url, source_id, language,
     posted_date, week_start, scraped_at, extracted_skills, skill_categories, ai_tiers, seniority_level,
     ai_relevance_score, extra, kafka_partition, kafka_offset, kafka_timestamp, sighting_version, ingested_at)
SELECT pipeline_version, posting_key, title, description, company, location, source, url, source_id, language,
       posted_date, week_start, scraped_at, extracted_skills, skill_categories, ai_tiers, seniority_level,
       ai_relevance_score, extra, kafka_partition, kafka_offset, ingested_at, 1, ingested_at
FROM {db}.postings_all FINAL;

EXCHANGE TABLES {db}.postings_all AND {db}.postings_all_005;

DROP TABLE IF EXISTS {db}.postings_all_005;

-- Sightings carry their Kafka timestamp too, so "first" means the same everywhere.
ALTER TABLE {db}.posting_sightings ADD COLUMN IF NOT EXISTS kafka_timestamp DateTime64(3, 'UTC') DEFAULT 0;

-- Re-created so that its column list holds the new columns.
CREATE OR REPLACE VIEW {db}.postings AS
SELECT *
FROM {db}.postings_all FINAL
WHERE pipeline_version = (SELECT version FROM {db}.active_version);

CREATE OR REPLACE VIEW {db}.weekly_job_volume AS
SELECT week_start, toUInt64(count()) AS job_count
FROM {db}.postings
GROUP BY week_start
ORDER BY week_start;

CREATE OR REPLACE VIEW {db}.weekly_skill_counts AS
SELECT r.week_start AS week_start, r.skill AS skill, t.category AS category, r.count AS count
FROM
(
    SELECT week_start, skill, toUInt64(count()) AS count
    FROM {db}.postings
    ARRAY JOIN extracted_skills AS skill
    GROUP BY week_start, skill
) AS r
LEFT JOIN (SELECT skill, any(category) AS category FROM {db}.skill_taxonomy GROUP BY skill) AS t ON r.skill = t.skill
ORDER BY week_start, count DESC, skill;

CREATE OR REPLACE VIEW {db}.weekly_seniority AS
SELECT week_start, seniority_level, toUInt64(count()) AS count
FROM {db}.postings
GROUP BY week_start, seniority_level
ORDER BY week_start, seniority_level;

CREATE OR REPLACE VIEW {db}.weekly_category_counts AS
SELECT week_start, category, toUInt64(count()) AS count
FROM {db}.postings
ARRAY JOIN skill_categories AS category
GROUP BY week_start, category
ORDER BY week_start, category;

-- Per source: valid messages seen, and how many were not the posting's earliest sighting
-- (by Kafka timestamp, partition, offset: the one postings_all keeps).
CREATE OR REPLACE VIEW {db}.duplicates_by_source AS
SELECT source, count() AS sightings, countIf(NOT is_first) AS duplicates
FROM
(
    SELECT source,
           (toUnixTimestamp64Milli(kafka_timestamp), kafka_partition, kafka_offset)
               = min((toUnixTimestamp64Milli(kafka_timestamp), kafka_partition, kafka_offset))
                 OVER (PARTITION BY posting_key) AS is_first
    FROM {db}.posting_sightings FINAL
    WHERE pipeline_version = (SELECT version FROM {db}.active_version)
)
GROUP BY source
ORDER BY sightings DESC;
