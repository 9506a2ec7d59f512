-- Alert (table format, one series per agent/tool): error rate of tools with enough calls.
-- Columns: agent, tool (String labels), error_rate (Float64, 0..1).
SELECT agent, tool, countIf(outcome != 'ok') / count() AS error_rate
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool'
GROUP BY agent, tool
HAVING count() >= 20
