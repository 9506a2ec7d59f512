-- Tools time series (long format, one series per tool): share of calls not ending ok.
-- Columns: time (DateTime), tool (String), error_rate (Float64).
SELECT
    $__timeInterval(timestamp) AS time,
    tool,
    countIf(outcome != 'ok') / count() AS error_rate
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time, tool
ORDER BY time, tool
