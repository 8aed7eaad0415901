-- Weekly rollups kept as uniqExact states of posting_key, written by materialized views on each
-- insert: a redelivered or replayed posting adds a key already in the state, so counts stay exact
-- (a plain count() would double-count, because views fire per inserted block, not after dedupe).
CREATE TABLE IF NOT EXISTS {db}.rollup_weekly_volume
(
    pipeline_version LowCardinality(String),
    week_start       Date,
    postings         AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (pipeline_version, week_start);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_weekly_volume_mv TO {db}.rollup_weekly_volume AS
SELECT pipeline_version, toMonday(posted_date) AS week_start, uniqExactState(posting_key) AS postings
FROM {db}.postings_all
GROUP BY pipeline_version, week_start;

CREATE TABLE IF NOT EXISTS {db}.rollup_weekly_skills
(
    pipeline_version LowCardinality(String),
    week_start       Date,
    skill            LowCardinality(String),
    postings         AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (pipeline_version, week_start, skill);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_weekly_skills_mv TO {db}.rollup_weekly_skills AS
SELECT pipeline_version, toMonday(posted_date) AS week_start, skill, uniqExactState(posting_key) AS postings
FROM {db}.postings_all
ARRAY JOIN extracted_skills AS skill
GROUP BY pipeline_version, week_start, skill;

CREATE TABLE IF NOT EXISTS {db}.rollup_weekly_seniority
(
    pipeline_version LowCardinality(String),
    week_start       Date,
    seniority_level  LowCardinality(String),
    postings         AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (pipeline_version, week_start, seniority_level);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_weekly_seniority_mv TO {db}.rollup_weekly_seniority AS
SELECT pipeline_version, toMonday(posted_date) AS week_start, seniority_level, uniqExactState(posting_key) AS postings
FROM {db}.postings_all
GROUP BY pipeline_version, week_start, seniority_level;

CREATE TABLE IF NOT EXISTS {db}.rollup_weekly_categories
(
    pipeline_version LowCardinality(String),
    week_start       Date,
    category         LowCardinality(String),
    postings         AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (pipeline_version, week_start, category);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_weekly_categories_mv TO {db}.rollup_weekly_categories AS
SELECT pipeline_version, toMonday(posted_date) AS week_start, category, uniqExactState(posting_key) AS postings
FROM {db}.postings_all
ARRAY JOIN skill_categories AS category
GROUP BY pipeline_version, week_start, category;
