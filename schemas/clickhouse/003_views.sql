-- The names SQL users and the dashboard read. All show the active pipeline version only.
CREATE VIEW IF NOT EXISTS {db}.active_version AS
SELECT argMax(version, activated_at) AS version
FROM {db}.pipeline_versions FINAL
WHERE status = 'active';

CREATE VIEW IF NOT EXISTS {db}.postings AS
SELECT *
FROM {db}.postings_all FINAL
WHERE pipeline_version = (SELECT version FROM {db}.active_version);

CREATE VIEW IF NOT EXISTS {db}.weekly_job_volume AS
SELECT week_start, toUInt64(uniqExactMerge(postings)) AS job_count
FROM {db}.rollup_weekly_volume
WHERE pipeline_version = (SELECT version FROM {db}.active_version)
GROUP BY week_start
ORDER BY week_start;

CREATE VIEW IF NOT EXISTS {db}.weekly_skill_counts AS
SELECT r.week_start AS week_start, r.skill AS skill, t.category AS category, r.count AS count
FROM
(
    SELECT week_start, skill, toUInt64(uniqExactMerge(postings)) AS count
    FROM {db}.rollup_weekly_skills
    WHERE pipeline_version = (SELECT version FROM {db}.active_version)
    GROUP BY week_start, skill
) AS r
LEFT JOIN (SELECT skill, any(category) AS category FROM {db}.skill_taxonomy GROUP BY skill) AS t ON r.skill = t.skill
ORDER BY week_start, count DESC, skill;

CREATE VIEW IF NOT EXISTS {db}.weekly_seniority AS
SELECT week_start, seniority_level, toUInt64(uniqExactMerge(postings)) AS count
FROM {db}.rollup_weekly_seniority
WHERE pipeline_version = (SELECT version FROM {db}.active_version)
GROUP BY week_start, seniority_level
ORDER BY week_start, seniority_level;

CREATE VIEW IF NOT EXISTS {db}.weekly_category_counts AS
SELECT week_start, category, toUInt64(uniqExactMerge(postings)) AS count
FROM {db}.rollup_weekly_categories
WHERE pipeline_version = (SELECT version FROM {db}.active_version)
GROUP BY week_start, category
ORDER BY week_start, category;

-- Per source: how many valid messages were seen and how many repeated a posting seen before
-- (same posting_key, earlier offset on its partition: the first sighting wins).
CREATE VIEW IF NOT EXISTS {db}.duplicates_by_source AS
SELECT source, count() AS sightings, countIf(NOT is_first) AS duplicates
FROM
(
    SELECT source, kafka_offset = min(kafka_offset) OVER (PARTITION BY posting_key) AS is_first
    FROM {db}.posting_sightings FINAL
    WHERE pipeline_version = (SELECT version FROM {db}.active_version)
)
GROUP BY source
ORDER BY sightings DESC;
