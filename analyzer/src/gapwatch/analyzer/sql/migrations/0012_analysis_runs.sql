-- One row per analysis run (scheduled or on demand), kept for ttl_days like the spans.
-- Placeholders: database, on_cluster, replicated, ttl_days.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_analysis_runs` ${on_cluster} (
    `id` String,
    `started_at` DateTime64(6, 'UTC'),
    `finished_at` DateTime64(6, 'UTC'),
    `window` String,
    `dry_run` Bool,
    `findings` UInt32,
    `new` UInt32,
    `updated` UInt32,
    `error` String,
    `details` String
) ENGINE = ${replicated}MergeTree()
ORDER BY started_at
-- ttl_days 0 keeps runs "forever": 20000 days stays inside DateTime's range (36500 would wrap)
TTL toDateTime(started_at) + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
