-- Overview time series: agent runs, delegations and tool calls per interval.
-- Columns: time (DateTime), agent_runs, delegations, tool_calls (UInt64).
SELECT
    $__timeInterval(timestamp) AS time,
    countIf(span_type = 'agent') AS agent_runs,
    countIf(span_type = 'delegation') AS delegations,
    countIf(span_type = 'tool') AS tool_calls
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp)
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time
ORDER BY time
