-- Feeds the stored spans of a period through the normalization view again; returns nothing.
-- Parameters: database (Identifier), since, until (DateTime64(9)).
INSERT INTO {database:Identifier}.gapwatch_span_feed
SELECT
    Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, SpanAttributes, Duration, StatusCode, StatusMessage,
    `Events.Timestamp`, `Events.Name`, `Events.Attributes`
FROM {database:Identifier}.otel_traces
WHERE Timestamp >= {since:DateTime64(9)} AND Timestamp < {until:DateTime64(9)}
