-- General tech (taxonomy category `general`: java, git, postgresql …), found at ingest by the taxonomy
-- beside the AI skills in `extracted_skills`. Counted, never counted as AI.
ALTER TABLE {db}.postings_all ADD COLUMN IF NOT EXISTS general_skills Array(LowCardinality(String)) DEFAULT [];
