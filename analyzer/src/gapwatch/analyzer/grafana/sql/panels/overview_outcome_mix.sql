-- Overview pie chart: how tool calls ended (ok, error, soft_error, blocked, timeout).
-- Columns: outcome (String), calls (UInt64).
SELECT outcome, count() AS calls
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY outcome
ORDER BY calls DESC
