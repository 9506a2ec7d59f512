-- Creates gapwatch_hourly (calls, latency quantiles, tokens, sessions per hour and subject) and the
-- view that fills it from gapwatch_agent_spans. Placeholders: database, on_cluster, replicated, ttl_days.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_hourly` ${on_cluster} (
    `hour` DateTime,
    `service` LowCardinality(String),
    `span_type` LowCardinality(String),
    `agent` LowCardinality(String),
    `tool` LowCardinality(String),
    `target_agent` LowCardinality(String),
    `outcome` LowCardinality(String),
    `agent_version` LowCardinality(String),
    `calls` SimpleAggregateFunction(sum, UInt64),
    `duration_quantiles` AggregateFunction(quantiles(0.5, 0.95), UInt64),
    `input_tokens` SimpleAggregateFunction(sum, UInt64),
    `output_tokens` SimpleAggregateFunction(sum, UInt64),
    `sessions` AggregateFunction(uniq, String)
) ENGINE = ${replicated}AggregatingMergeTree()
PARTITION BY toDate(hour)
ORDER BY (service, span_type, agent, tool, target_agent, outcome, agent_version, hour)
TTL hour + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
SETTINGS ttl_only_drop_parts = 1
;
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_hourly_mv` ${on_cluster}
TO `${database}`.`gapwatch_hourly` AS
SELECT
    toStartOfHour(timestamp) AS hour,
    service,
    span_type,
    agent,
    tool,
    target_agent,
    outcome,
    agent_version,
    toUInt64(count()) AS calls,
    quantilesState(0.5, 0.95)(duration_ns) AS duration_quantiles,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    uniqState(session_id) AS sessions
FROM `${database}`.`gapwatch_agent_spans`
GROUP BY hour, service, span_type, agent, tool, target_agent, outcome, agent_version
