-- Tables of the weekly batch (relabel, retrain, cluster). One run id per window
-- (`weekly-<week>-<N>w`); re-running a window deletes that run's rows and writes them again.
-- Span offsets index `skillpulse.domain.text.readable(description)` (HTML read as text, case kept).

-- Span labels per posting. Also the labellers' cache: a posting is not sent to the LLM again while a
-- row with the same prompt version and text hash exists.
CREATE TABLE IF NOT EXISTS {db}.skill_labels
(
    posting_key    String,
    label_source   LowCardinality(String),   -- 'llm' or 'taxonomy'
    prompt_version String,                   -- prompt (and model) version, or the taxonomy version
    text_sha       String,                   -- SHA-256 of the labelled text: a changed ad is relabelled
    spans          Array(Tuple(start UInt32, end UInt32, text String, skill String)),
    dropped        UInt32 DEFAULT 0,         -- spans the labeller returned that were not in the text
    run_id         String,
    labelled_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(labelled_at)
ORDER BY (posting_key, label_source, prompt_version);

-- The model registry. The promoted model is the latest row with promoted = 1.
CREATE TABLE IF NOT EXISTS {db}.extractor_models
(
    version       String,
    base_model    String,
    window_start  Date,
    window_end    Date,
    label_source  LowCardinality(String),
    path          String,
    metrics       String,     -- JSON: strict/loose span precision, recall, F1; train/test sizes; baseline
    strict_f1     Float64,
    loose_f1      Float64 DEFAULT 0,
    train_size    UInt32 DEFAULT 0,
    test_size     UInt32 DEFAULT 0,
    promoted      UInt8,
    run_id        String DEFAULT '',
    created_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY version;

-- Spans the promoted model found over the window that map to no taxonomy skill: for curation.
CREATE TABLE IF NOT EXISTS {db}.skill_candidates
(
    skill          String,      -- normalised surface form the model found that the taxonomy lacks
    count          UInt64,      -- postings of the window mentioning it
    examples       Array(String),  -- up to 3 contexts ("… experience with torch and …")
    model_version  String,
    run_id         String,
    week_start     Date DEFAULT '1970-01-01',
    updated_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (run_id, skill);

-- The window's distinct skills: KMeans cluster and UMAP coordinates (x, y, z: 3-D; x2d, y2d: 2-D).
CREATE TABLE IF NOT EXISTS {db}.skill_clusters
(
    run_id         String,
    week_start     Date,       -- the run's week (the last week of its window)
    skill          String,
    cluster        UInt32,
    x              Float32,
    y              Float32,
    z              Float32,
    count          UInt64,     -- postings of the window mentioning the skill
    x2d            Float32 DEFAULT 0,
    y2d            Float32 DEFAULT 0,
    cluster_label  String DEFAULT '',   -- the cluster's most frequent skill
    created_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (run_id, week_start, skill);

-- One row per run (latest attempt): status 'running', 'ok' or 'failed', and the summary as JSON.
CREATE TABLE IF NOT EXISTS {db}.batch_runs
(
    run_id       String,
    window_start Date,
    window_end   Date,
    status       LowCardinality(String),
    summary      String,      -- JSON
    started_at   DateTime64(3, 'UTC') DEFAULT now64(3),
    finished_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY run_id;

-- What the dashboard reads: the latest successful run (most recent window, then most recent finish).
CREATE VIEW IF NOT EXISTS {db}.latest_batch_run AS
SELECT argMax(run_id, (window_end, finished_at)) AS run_id
FROM {db}.batch_runs FINAL
WHERE status = 'ok';

CREATE VIEW IF NOT EXISTS {db}.latest_skill_clusters AS
SELECT run_id, week_start, skill, cluster, cluster_label, count, x, y, z, x2d, y2d
FROM {db}.skill_clusters FINAL
WHERE run_id = (SELECT run_id FROM {db}.latest_batch_run);

CREATE VIEW IF NOT EXISTS {db}.latest_skill_candidates AS
SELECT run_id, week_start, skill, count, examples, model_version
FROM {db}.skill_candidates FINAL
WHERE run_id = (SELECT run_id FROM {db}.latest_batch_run)
ORDER BY count DESC, skill;
