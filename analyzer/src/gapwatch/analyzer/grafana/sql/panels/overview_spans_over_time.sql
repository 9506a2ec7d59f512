-- Overview time series: raw spans per interval.
-- Columns: time (DateTime), spans (UInt64).
SELECT $__timeInterval(Timestamp) AS time, count() AS spans
FROM otel_traces
WHERE $__timeFilter(Timestamp)
  AND $__conditionalAll(ServiceName IN (${service:singlequote}), $service)
GROUP BY time
ORDER BY time
