-- Dashboard variable `tool`: tools called by the selected agents.
-- Columns: tool (String).
SELECT DISTINCT tool
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool' AND tool != ''
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
ORDER BY tool
