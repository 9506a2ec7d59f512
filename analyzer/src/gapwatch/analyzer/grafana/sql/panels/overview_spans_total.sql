-- Overview stat: raw spans stored in the time range (every span, agent or not).
-- Columns: spans (UInt64).
SELECT count() AS spans
FROM otel_traces
WHERE $__timeFilter(Timestamp)
  AND $__conditionalAll(ServiceName IN (${service:singlequote}), $service)
