-- Returns one trace's spans, oldest first, with the model's reading (assembled row, else facts).
-- Parameters: database, trace_id, limit (one more than shown, to learn of truncation).
WITH bounds AS (
    -- the trace-id lookup table turns "find trace X" into a narrow time range (whole seconds).
    -- Compared as DateTime64: chDB's filter on DateTime64 < DateTime dropped spans that start
    -- inside the last second (a one-second trace was not found at all).
    SELECT toDateTime64(min(Start), 9) AS first, toDateTime64(max(End) + 1, 9) AS last
    FROM {database:Identifier}.otel_traces_trace_id_ts
    WHERE TraceId = {trace_id:String}
)
SELECT
    t.SpanId AS span_id,
    t.ParentSpanId AS parent_span_id,
    t.SpanName AS name,
    t.ServiceName AS service,
    t.Timestamp AS start,
    round(t.Duration / 1e6, 3) AS duration_ms,
    t.StatusCode AS status_code,
    t.StatusMessage AS status_message,
    t.SpanKind AS span_kind,
    if(a.span_id != '', a.span_type, f.span_type) AS kind,
    if(a.span_id != '', a.agent, f.agent) AS agent,
    if(a.span_id != '', a.tool, f.tool) AS tool,
    if(a.span_id != '', a.target_agent, f.target_agent) AS target_agent,
    if(a.span_id != '', a.outcome, f.outcome) AS outcome,
    if(a.span_id != '', a.error_type, f.error_type) AS error_type,
    f.model AS model,
    f.input_tokens AS input_tokens,
    f.output_tokens AS output_tokens,
    t.SpanAttributes AS attributes,
    t.`Events.Name` AS event_names,
    t.`Events.Timestamp` AS event_times,
    t.`Events.Attributes` AS event_attributes
FROM {database:Identifier}.otel_traces AS t
LEFT JOIN (
    SELECT span_id, span_type, agent, tool, target_agent, outcome, error_type, model,
           input_tokens, output_tokens
    FROM {database:Identifier}.gapwatch_span_facts FINAL
    WHERE trace_id = {trace_id:String}
) AS f ON f.span_id = t.SpanId
LEFT JOIN (
    SELECT span_id, span_type, agent, tool, target_agent, outcome, error_type
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE trace_id = {trace_id:String}
      AND timestamp >= (SELECT first FROM bounds) AND timestamp < (SELECT last FROM bounds)
    -- one row per span: a re-assembled trace's old rows may linger until the delete lands
    LIMIT 1 BY span_id
) AS a ON a.span_id = t.SpanId
WHERE t.TraceId = {trace_id:String}
  AND t.Timestamp >= (SELECT first FROM bounds) AND t.Timestamp < (SELECT last FROM bounds)
ORDER BY t.Timestamp, t.SpanId
LIMIT 1 BY t.SpanId
LIMIT {limit:UInt32}
