-- Skills the weekly batch's model found per posting (open-vocabulary spans, normalised, mapped to a
-- taxonomy skill by MiniLM cosine where close, else kept as themselves). Re-running a window
-- replaces a posting's rows: the key is (pipeline_version, posting_key, skill).
CREATE TABLE IF NOT EXISTS {db}.model_skills
(
    pipeline_version LowCardinality(String),
    posting_key      String,
    skill            String,
    surface          String,      -- the text as written in the ad (first occurrence)
    model_version    String,
    run_id           String,
    written_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY (pipeline_version, posting_key, skill);

-- Every skill counted (the first seed's "compile all skills"): postings per week and skill, from the
-- taxonomy at ingest (AI + general) and from the batch's model. A view over the deduplicated
-- `postings` like every rollup (see 005): distinct posting_key, so redelivery and replay never add.
CREATE VIEW IF NOT EXISTS {db}.weekly_skill_mentions AS
SELECT week_start, skill, toUInt8(category != '') AS in_taxonomy, category,
       toUInt64(uniqExact(posting_key)) AS count
FROM
(
    SELECT week_start, posting_key, skill
    FROM {db}.postings
    ARRAY JOIN arrayConcat(extracted_skills, general_skills) AS skill
    UNION ALL
    SELECT p.week_start AS week_start, m.posting_key AS posting_key, m.skill AS skill
    FROM {db}.model_skills AS m FINAL
    INNER JOIN (SELECT posting_key, week_start FROM {db}.postings) AS p ON p.posting_key = m.posting_key
    WHERE m.pipeline_version = (SELECT version FROM {db}.active_version)
) AS mentions
LEFT JOIN (SELECT skill, any(category) AS category FROM {db}.skill_taxonomy GROUP BY skill) AS t
    ON t.skill = mentions.skill
GROUP BY week_start, skill, category
ORDER BY week_start, count DESC, skill;

-- Growth beside the count for curation: postings in the window's last week minus its first week.
ALTER TABLE {db}.skill_candidates ADD COLUMN IF NOT EXISTS growth Int64 DEFAULT 0;
