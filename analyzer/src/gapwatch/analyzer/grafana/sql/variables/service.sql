-- Dashboard variable `service`: the services that sent agent spans in the time range.
-- Columns: service (String).
SELECT DISTINCT service
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND service != ''
ORDER BY service
