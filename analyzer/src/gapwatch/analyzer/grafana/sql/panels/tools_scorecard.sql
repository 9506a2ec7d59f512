-- Tools table: one row per agent and tool with calls, error rate, latency and a failing trace.
-- Columns: agent, tool (String), calls (UInt64), error_rate (Float64), p50_ms, p95_ms (Float64),
-- timeouts, blocked, soft_errors (UInt64), TraceId (String, '' when nothing failed).
SELECT
    agent,
    tool,
    count() AS calls,
    countIf(outcome != 'ok') / calls AS error_rate,
    quantile(0.5)(duration_ns) / 1e6 AS p50_ms,
    quantile(0.95)(duration_ns) / 1e6 AS p95_ms,
    countIf(outcome = 'timeout') AS timeouts,
    countIf(outcome = 'blocked') AS blocked,
    countIf(outcome = 'soft_error') AS soft_errors,
    argMaxIf(trace_id, timestamp, outcome != 'ok') AS TraceId
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY agent, tool
ORDER BY error_rate DESC, calls DESC
LIMIT 200
