-- Trace view (Explore, format 3): one trace's spans as Grafana's trace data-frame contract.
-- Columns: traceID, spanID, parentSpanID, serviceName, operationName (String), startTime,
-- duration (Float64 ms), tags, serviceTags (Array(Map(String, String))), statusCode (UInt8).
-- The id arrives percent-encoded, so no value can close the literal it sits in.
SELECT
    TraceId AS traceID,
    SpanId AS spanID,
    ParentSpanId AS parentSpanID,
    ServiceName AS serviceName,
    SpanName AS operationName,
    toUnixTimestamp64Nano(Timestamp) / 1e6 AS startTime,
    Duration / 1e6 AS duration,
    arrayMap(key -> map('key', key, 'value', SpanAttributes[key]), mapKeys(SpanAttributes))
        AS tags,
    arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]),
             mapKeys(ResourceAttributes)) AS serviceTags,
    if(StatusCode IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) AS statusCode
FROM otel_traces
WHERE TraceId = decodeURLComponent('${trace_id:percentencode}')
ORDER BY Timestamp
