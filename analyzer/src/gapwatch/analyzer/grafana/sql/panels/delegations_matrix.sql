-- Delegations table: caller → callee matrix with volume, success rate, latency, failing trace.
-- Columns: caller_agent, target_agent (String), delegations (UInt64), success_rate (Float64),
-- p50_ms, p95_ms (Float64), TraceId (String).
SELECT
    caller_agent,
    target_agent,
    count() AS delegations,
    countIf(outcome = 'ok') / delegations AS success_rate,
    quantile(0.5)(duration_ns) / 1e6 AS p50_ms,
    quantile(0.95)(duration_ns) / 1e6 AS p95_ms,
    argMaxIf(trace_id, timestamp, outcome != 'ok') AS TraceId
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'delegation'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(caller_agent IN (${agent:singlequote}) OR target_agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY caller_agent, target_agent
ORDER BY delegations DESC
LIMIT 200
