-- Tables of the weekly batch (relabel, retrain, cluster). One run id per window; re-running a
-- window replaces its rows (ReplacingMergeTree on the run's natural key, read with FINAL).
CREATE TABLE IF NOT EXISTS {db}.skill_labels
(
    posting_key    String,
    label_source   LowCardinality(String),   -- 'llm' or 'taxonomy'
    prompt_version String,
    spans          Array(Tuple(start UInt32, end UInt32, text String, skill String)),
    run_id         String,
    labelled_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(labelled_at)
ORDER BY (posting_key, label_source, prompt_version);

CREATE TABLE IF NOT EXISTS {db}.extractor_models
(
    version       String,
    base_model    String,
    window_start  Date,
    window_end    Date,
    label_source  LowCardinality(String),
    path          String,
    metrics       String,     -- JSON: strict/loose span precision, recall, F1; train/test sizes
    strict_f1     Float64,
    promoted      UInt8,
    created_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY version;

CREATE TABLE IF NOT EXISTS {db}.skill_candidates
(
    skill          String,      -- normalised surface form the model found that the taxonomy lacks
    count          UInt64,
    examples       Array(String),
    model_version  String,
    run_id         String,
    updated_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (run_id, skill);

CREATE TABLE IF NOT EXISTS {db}.skill_clusters
(
    run_id      String,
    week_start  Date,
    skill       String,
    cluster     UInt32,
    x           Float32,
    y           Float32,
    z           Float32,
    count       UInt64,
    created_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (run_id, week_start, skill);

CREATE TABLE IF NOT EXISTS {db}.batch_runs
(
    run_id       String,
    window_start Date,
    window_end   Date,
    status       LowCardinality(String),
    summary      String,      -- JSON
    finished_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY run_id;
