-- One row per agent run (and service), written by trace assembly beside gapwatch_agent_spans
-- (model/sql/record_runs.sql): what detectors that judge whole runs read, instead of grouping
-- millions of span rows by run at every analysis. Placeholders: database, on_cluster,
-- replicated, ttl_days.
--
-- Runs of traces assembled before this migration are not in it: the model is emptied and the
-- assembly watermark reset, so the next pass (every analysis starts with one) assembles every
-- stored trace again, spans and runs together.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_agent_runs` ${on_cluster} (
    -- the run's earliest span; the window detectors select runs by
    `timestamp` DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    `ended` DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    `trace_id` String CODEC(ZSTD(1)),
    `run_id` String CODEC(ZSTD(1)),
    `parent_run_id` String CODEC(ZSTD(1)),
    `service` LowCardinality(String),
    `agent` LowCardinality(String),
    `caller_agent` LowCardinality(String),
    `session_id` String CODEC(ZSTD(1)),
    `user_id` String CODEC(ZSTD(1)),
    -- of the run's earliest agent span ('ok' for a run seen only through its calls)
    `outcome` LowCardinality(String),
    `error_fingerprint` String CODEC(ZSTD(1)),
    `agent_version` LowCardinality(String),
    `prompt_version` LowCardinality(String),
    `service_version` LowCardinality(String),
    -- the run's agent, tool and model-call spans, and those that failed, with their distinct
    -- failure fingerprints
    `spans` UInt32,
    `failed_spans` UInt32,
    `errors` Array(String) CODEC(ZSTD(1)),
    -- the run's agent spans and the sum and sum of squares of their log durations (ns)
    `run_spans` UInt32,
    `log_duration_sum` Float64,
    `log_duration_squares` Float64,
    -- spans reporting token usage, and the sum and sum of squares of their tokens
    `token_spans` UInt32,
    `token_sum` Float64,
    `token_squares` Float64,
    -- what the run spent: its model calls' tokens, else its agent span's total
    `tokens` UInt64 CODEC(T64, ZSTD(1))
) ENGINE = ${replicated}MergeTree()
PARTITION BY toDate(timestamp)
ORDER BY (service, agent, timestamp)
TTL toDateTime(timestamp) + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
;
TRUNCATE TABLE IF EXISTS `${database}`.`gapwatch_agent_spans` ${on_cluster}
;
TRUNCATE TABLE IF EXISTS `${database}`.`gapwatch_assembled_traces` ${on_cluster}
;
TRUNCATE TABLE IF EXISTS `${database}`.`gapwatch_assembly_state` ${on_cluster}
