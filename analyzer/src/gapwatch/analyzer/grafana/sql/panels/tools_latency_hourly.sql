-- Tools time series: p50 and p95 latency per tool and hour, in milliseconds, from the model.
-- Columns: time (DateTime), tool (String), p50_ms, p95_ms (Float64).
SELECT
    $__timeGroup(timestamp, 1h) AS time,
    tool,
    quantile(0.5)(duration_ns) / 1e6 AS p50_ms,
    quantile(0.95)(duration_ns) / 1e6 AS p95_ms
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time, tool
ORDER BY time, tool
