-- Feeds the trace-id lookup table from every insert into otel_traces.
-- Placeholders: database, on_cluster.
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`otel_traces_trace_id_ts_mv` ${on_cluster}
TO `${database}`.`otel_traces_trace_id_ts`
AS SELECT
    TraceId,
    min(toDateTime(Timestamp)) AS Start,
    max(toDateTime(Timestamp)) AS End
FROM `${database}`.`otel_traces`
WHERE TraceId != ''
GROUP BY TraceId
