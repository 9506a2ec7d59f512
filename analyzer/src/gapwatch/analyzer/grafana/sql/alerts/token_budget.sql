-- Alert (table format, one series per service): tokens spent in the range.
-- Columns: service (String label), tokens (UInt64).
SELECT service, sum(input_tokens + output_tokens) AS tokens
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp)
GROUP BY service
