-- Overview stats: agent runs, tool calls, tool error rate and tokens in the time range.
-- Columns: agent_runs, tool_calls (UInt64), error_rate (Float64, 0..1), tokens (UInt64).
SELECT
    countIf(span_type = 'agent') AS agent_runs,
    countIf(span_type = 'tool') AS tool_calls,
    if(tool_calls = 0, 0, countIf(span_type = 'tool' AND outcome != 'ok') / tool_calls)
        AS error_rate,
    sum(input_tokens + output_tokens) AS tokens
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp)
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
