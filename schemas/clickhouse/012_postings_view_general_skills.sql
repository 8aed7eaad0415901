-- 012: `postings` re-created so that it shows general_skills (010): a view's column list is fixed
-- when the view is created. weekly_skill_mentions then reads the deduplicated rows through it, like
-- every other rollup (see 005): distinct posting_key per week and skill, never counted twice.
CREATE OR REPLACE VIEW {db}.postings AS
SELECT *
FROM {db}.postings_all FINAL
WHERE pipeline_version = (SELECT version FROM {db}.active_version);

CREATE OR REPLACE VIEW {db}.weekly_skill_mentions AS
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
