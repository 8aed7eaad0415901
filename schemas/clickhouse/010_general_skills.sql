-- General tech (taxonomy category `general`: java, git, postgresql …), found at ingest by the taxonomy
-- beside the AI skills in `extracted_skills`. Counted, never counted as AI.
ALTER TABLE {db}.postings_all ADD COLUMN IF NOT EXISTS general_skills Array(LowCardinality(String)) DEFAULT [];

-- `postings` re-created so that it shows the new column: a view's column list is fixed when the
-- view is created.
CREATE OR REPLACE VIEW {db}.postings AS
SELECT *
FROM {db}.postings_all FINAL
WHERE pipeline_version = (SELECT version FROM {db}.active_version);
