-- Tools time series from the hourly rollup: p50 and p95 latency per tool, in milliseconds.
-- Columns: time (DateTime), tool (String), p50_ms, p95_ms (Float64).
SELECT
    $__timeGroup(hour, 1h) AS time,
    tool,
    quantilesMerge(0.5, 0.95)(duration_quantiles)[1] / 1e6 AS p50_ms,
    quantilesMerge(0.5, 0.95)(duration_quantiles)[2] / 1e6 AS p95_ms
FROM gapwatch_hourly
WHERE $__timeFilter(hour) AND span_type = 'tool'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time, tool
ORDER BY time, tool
