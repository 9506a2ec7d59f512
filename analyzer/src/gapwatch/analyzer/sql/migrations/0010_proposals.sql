-- Proposals: one row version per change, the newest (highest updated_at) wins; read with FINAL.
-- Placeholders: database, on_cluster, replicated. No TTL: proposals are the audit record.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_proposals` ${on_cluster} (
    `id` String,
    `detector` LowCardinality(String),
    `detector_version` UInt16,
    `type` LowCardinality(String),
    `priority` LowCardinality(String),
    `confidence` Float32,
    `status` LowCardinality(String),
    `title` String,
    `summary` String,
    `subject` String,
    `service` LowCardinality(String),
    `agent` LowCardinality(String),
    `tool` LowCardinality(String),
    `target_agent` LowCardinality(String),
    `evidence` String,
    `evidence_count` UInt64,
    `severity` Float64,
    `proposed_change` String,
    `expected_impact` String,
    `risk` String,
    `snoozed_until` Nullable(DateTime64(6, 'UTC')),
    `implemented_version` String,
    `implemented_at` Nullable(DateTime64(6, 'UTC')),
    `verification` String,
    `baseline_count` UInt64,
    `baseline_severity` Float64,
    `created_at` DateTime64(6, 'UTC'),
    `updated_at` DateTime64(6, 'UTC')
) ENGINE = ${replicated}ReplacingMergeTree(updated_at)
ORDER BY id
