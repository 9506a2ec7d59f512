-- Audit trail of every proposal state change (who, when, why); append-only, no TTL.
-- Placeholders: database, on_cluster, replicated.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_proposal_history` ${on_cluster} (
    `proposal_id` String,
    `at` DateTime64(6, 'UTC'),
    `from_status` LowCardinality(String),
    `to_status` LowCardinality(String),
    `actor` String,
    `reason` String,
    `details` String
) ENGINE = ${replicated}MergeTree()
ORDER BY (proposal_id, at)
