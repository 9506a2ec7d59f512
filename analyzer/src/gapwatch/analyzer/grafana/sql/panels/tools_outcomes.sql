-- Tools stacked bar chart: outcome breakdown per tool.
-- Columns: tool (String), ok, error, soft_error, blocked, timeout (UInt64).
SELECT
    tool,
    countIf(outcome = 'ok') AS ok,
    countIf(outcome = 'error') AS error,
    countIf(outcome = 'soft_error') AS soft_error,
    countIf(outcome = 'blocked') AS blocked,
    countIf(outcome = 'timeout') AS timeout
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool'
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY tool
ORDER BY count() DESC
LIMIT 50
