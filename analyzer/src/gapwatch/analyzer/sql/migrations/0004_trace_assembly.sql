-- The two-stage model (docs/data-model.md): span normalization fills gapwatch_span_facts, one
-- row per span, from the view built out of model/sql/span_normalization.sql; trace assembly
-- (model/sql/assemble.sql) turns the facts of settled traces into gapwatch_agent_spans.
-- Placeholders: database, on_cluster, replicated, ttl_days, span_conventions,
-- span_normalization.
--
-- The span-local view of 0003 and the hourly rollup go: gapwatch_agent_spans is now written by
-- assembly, which replaces a trace's rows when late spans arrive, and a rollup fed by inserts
-- could not take those rows back.
DROP VIEW IF EXISTS `${database}`.`gapwatch_agent_spans_mv` ${on_cluster}
;
DROP VIEW IF EXISTS `${database}`.`gapwatch_hourly_mv` ${on_cluster}
;
DROP TABLE IF EXISTS `${database}`.`gapwatch_hourly` ${on_cluster}
;
ALTER TABLE `${database}`.`gapwatch_agent_spans` ${on_cluster}
    ADD COLUMN IF NOT EXISTS `run_id` String CODEC(ZSTD(1)) AFTER `parent_span_id`,
    ADD COLUMN IF NOT EXISTS `parent_run_id` String CODEC(ZSTD(1)) AFTER `run_id`
;
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_span_facts` ${on_cluster} (
    `timestamp` DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    `trace_id` String CODEC(ZSTD(1)),
    `span_id` String CODEC(ZSTD(1)),
    `parent_span_id` String CODEC(ZSTD(1)),
    `service` LowCardinality(String),
    `span_type` LowCardinality(String),
    `operation` LowCardinality(String),
    `span_name` LowCardinality(String),
    `span_kind` LowCardinality(String),
    `handoff` Bool,
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
    `source` LowCardinality(String)
) ENGINE = ${replicated}ReplacingMergeTree()
PARTITION BY toDate(timestamp)
-- assembly reads whole traces: the trace id leads the key, and a span stored twice (a replayed
-- backfill) collapses into one row
ORDER BY (trace_id, span_id)
TTL toDateTime(timestamp) + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
;
-- When each trace received spans: assembly takes the traces whose latest arrival is older than
-- the settle time, so a trace is assembled once its spans have come in, and again if more come.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_trace_arrivals` ${on_cluster} (
    `arrived_at` DateTime64(3),
    `trace_id` String CODEC(ZSTD(1)),
    `spans` UInt32
) ENGINE = ${replicated}MergeTree()
PARTITION BY toDate(arrived_at)
ORDER BY (arrived_at, trace_id)
TTL toDateTime(arrived_at) + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
SETTINGS ttl_only_drop_parts = 1
;
-- How many spans each trace had when it was last assembled: a trace is assembled again only
-- when more spans arrived since (late spans, or a rebuild of its facts).
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_assembled_traces` ${on_cluster} (
    `trace_id` String CODEC(ZSTD(1)),
    `spans` UInt64,
    `assembled_at` DateTime64(3)
) ENGINE = ${replicated}ReplacingMergeTree(assembled_at)
ORDER BY trace_id
TTL toDateTime(assembled_at) + toIntervalDay(if(${ttl_days} = 0, 20000, ${ttl_days}))
;
-- The traces one assembly pass works on, refilled by every pass.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_assembly_batch` ${on_cluster} (
    `trace_id` String,
    `spans` UInt64,
    `reassemble` Bool
) ENGINE = ${replicated}MergeTree()
ORDER BY trace_id
;
-- How far assembly has come: arrivals up to the watermark are assembled.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_assembly_state` ${on_cluster} (
    `name` LowCardinality(String),
    `watermark` DateTime64(3),
    `updated_at` DateTime64(3) DEFAULT now64(3)
) ENGINE = ${replicated}ReplacingMergeTree(updated_at)
ORDER BY name
;
-- Between the two normalization views (span_conventions.sql, span_normalization.sql): a Null
-- table stores nothing, it hands each block of conventions to the classification.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_span_conventions` ${on_cluster} (
    `Timestamp` DateTime64(9),
    `TraceId` String,
    `SpanId` String,
    `ParentSpanId` String,
    `SpanName` LowCardinality(String),
    `ServiceName` LowCardinality(String),
    `ResourceAttributes` Map(LowCardinality(String), String),
    `SpanAttributes` Map(LowCardinality(String), String),
    `Duration` UInt64,
    `StatusMessage` String,
    `Events.Name` Array(LowCardinality(String)),
    `Events.Attributes` Array(Map(LowCardinality(String), String)),
    `kind` String,
    `status` String,
    `oi_kind` String,
    `tl_kind` String,
    `op` String,
    `src` String,
    `is_handoff` Bool,
    `agent_name` String,
    `tool_name` String,
    `type` String,
    `explicit_caller` String,
    `explicit_target` String,
    `own_arguments` String,
    `own_result` String,
    `wrapped_error` Bool,
    `request_source` String,
    `offered` Array(String)
) ENGINE = Null
;
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_span_facts_mv` ${on_cluster}
TO `${database}`.`gapwatch_span_facts` AS
${span_normalization}
;
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_span_conventions_mv` ${on_cluster}
TO `${database}`.`gapwatch_span_conventions` AS
${span_conventions}
;
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_trace_arrivals_mv` ${on_cluster}
TO `${database}`.`gapwatch_trace_arrivals` AS
SELECT now64(3) AS arrived_at, trace_id, toUInt32(count()) AS spans
FROM `${database}`.`gapwatch_span_facts`
GROUP BY trace_id
;
-- Backfill: spans stored before this migration go through the new normalization once; the
-- rows 0003 normalized are replaced by the first assembly.
INSERT INTO `${database}`.`gapwatch_span_feed`
SELECT
    Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, SpanAttributes, Duration, StatusCode, StatusMessage,
    `Events.Timestamp`, `Events.Name`, `Events.Attributes`
FROM `${database}`.`otel_traces`
;
TRUNCATE TABLE IF EXISTS `${database}`.`gapwatch_agent_spans` ${on_cluster}
