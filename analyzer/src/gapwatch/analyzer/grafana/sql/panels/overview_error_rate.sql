-- Overview time series: share of tool calls and delegations that did not end `ok`.
-- Columns: time (DateTime), tool_error_rate, delegation_failure_rate (Float64, 0..1).
SELECT
    $__timeInterval(timestamp) AS time,
    countIf(span_type = 'tool' AND outcome != 'ok') / greatest(countIf(span_type = 'tool'), 1)
        AS tool_error_rate,
    countIf(span_type = 'delegation' AND outcome != 'ok')
        / greatest(countIf(span_type = 'delegation'), 1) AS delegation_failure_rate
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type IN ('tool', 'delegation')
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time
ORDER BY time
