-- Creates gapwatch_agent_spans, the normalized agent-span model (one row per agent run, delegation,
-- tool call and LLM call). Placeholders: database, on_cluster, replicated, ttl_days.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_agent_spans` ${on_cluster} (
    `timestamp` DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    `trace_id` String CODEC(ZSTD(1)),
    `span_id` String CODEC(ZSTD(1)),
    `parent_span_id` String CODEC(ZSTD(1)),
    `service` LowCardinality(String),
    `span_type` LowCardinality(String),
    `operation` LowCardinality(String),
    `span_name` LowCardinality(String),
    `agent` LowCardinality(String),
    `caller_agent` LowCardinality(String),
    `target_agent` LowCardinality(String),
    `tool` LowCardinality(String),
    `tool_call_id` String CODEC(ZSTD(1)),
    `delegation_category` LowCardinality(String),
    `outcome` LowCardinality(String),
    `error_type` LowCardinality(String),
    `error_message` String CODEC(ZSTD(1)),
    `error_fingerprint` String CODEC(ZSTD(1)),
    `blocked_reason` String CODEC(ZSTD(1)),
    `desired_capability` String CODEC(ZSTD(1)),
    `resource` String CODEC(ZSTD(1)),
    `duration_ns` UInt64 CODEC(T64, ZSTD(1)),
    `input_tokens` UInt64 CODEC(T64, ZSTD(1)),
    `output_tokens` UInt64 CODEC(T64, ZSTD(1)),
    `cached_tokens` UInt64 CODEC(T64, ZSTD(1)),
    `session_id` String CODEC(ZSTD(1)),
    `user_id` String CODEC(ZSTD(1)),
    `agent_version` LowCardinality(String),
    `prompt_version` LowCardinality(String),
    `service_version` LowCardinality(String),
    `model` LowCardinality(String),
    `input_size` Float64,
    `input_unit` LowCardinality(String),
    `attempt` UInt16,
    `arguments_hash` UInt64,
    `request_text` String CODEC(ZSTD(1)),
    `offered_tools` Array(LowCardinality(String)),
    `feedback_score` Nullable(Float32),
    `corrections` UInt16,
    `source` LowCardinality(String),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 4
) ENGINE = ${replicated}MergeTree()
PARTITION BY toDate(timestamp)
ORDER BY (service, span_type, agent, tool, timestamp)
-- ttl_days 0 means "keep forever", as for otel_traces: 20000 days stays inside the DateTime
-- range (it ends in 2106; a longer interval wraps around and expires everything at once)
TTL toDateTime(timestamp) + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
