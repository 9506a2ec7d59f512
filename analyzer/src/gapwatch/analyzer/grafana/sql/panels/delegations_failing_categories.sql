-- Delegations table: task categories whose delegations fail, by callee and outcome.
-- Columns: delegation_category, target_agent (String), delegations, failures (UInt64),
-- failure_rate (Float64), top_error (String), TraceId (String).
SELECT
    delegation_category,
    target_agent,
    count() AS delegations,
    countIf(outcome != 'ok') AS failures,
    failures / delegations AS failure_rate,
    topKIf(1)(if(error_type != '', error_type, outcome), outcome != 'ok')[1] AS top_error,
    argMaxIf(trace_id, timestamp, outcome != 'ok') AS TraceId
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'delegation'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(caller_agent IN (${agent:singlequote}) OR target_agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY delegation_category, target_agent
HAVING failures > 0
ORDER BY failure_rate DESC, failures DESC
LIMIT 100
