-- Dashboard variable `version`: agent versions of the selected agents.
-- Columns: agent_version (String).
SELECT DISTINCT agent_version
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND agent_version != ''
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
ORDER BY agent_version
