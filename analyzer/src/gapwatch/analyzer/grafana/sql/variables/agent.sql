-- Dashboard variable `agent`: agents seen in the selected services.
-- Columns: agent (String).
SELECT DISTINCT agent
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND agent != ''
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
ORDER BY agent
