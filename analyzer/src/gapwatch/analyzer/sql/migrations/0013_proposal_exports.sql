-- Where a proposal was exported (e.g. a GitHub issue), so a second export finds it instead of
-- filing a duplicate. Placeholders: database, on_cluster, replicated. No TTL.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_proposal_exports` ${on_cluster} (
    `proposal_id` String,
    `target` LowCardinality(String),
    `external_id` String,
    `url` String,
    `created_at` DateTime64(6, 'UTC')
) ENGINE = ${replicated}ReplacingMergeTree(created_at)
ORDER BY (proposal_id, target)
