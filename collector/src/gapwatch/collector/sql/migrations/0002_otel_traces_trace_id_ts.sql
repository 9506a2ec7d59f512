-- Creates the trace-id lookup table the exporter (and Grafana's trace view) uses.
-- Placeholders: database, on_cluster, trace_id_ts_engine, trace_id_ts_ttl.
CREATE TABLE IF NOT EXISTS `${database}`.`otel_traces_trace_id_ts` ${on_cluster} (
    `TraceId` String CODEC(ZSTD(1)),
    `Start` SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    `End` SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = ${trace_id_ts_engine}
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
${trace_id_ts_ttl}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
