-- Report headline numbers for one window. Parameters: since, until (DateTime64(9)).
-- Columns: agent_runs, tool_calls, tool_failures, delegations, delegation_failures, tokens, sessions.
SELECT
    countIf(span_type = 'agent') AS agent_runs,
    countIf(span_type = 'tool') AS tool_calls,
    countIf(span_type = 'tool' AND outcome != 'ok') AS tool_failures,
    countIf(span_type = 'delegation') AS delegations,
    countIf(span_type = 'delegation' AND outcome != 'ok') AS delegation_failures,
    sum(input_tokens + output_tokens) AS tokens,
    uniqExact(session_id) AS sessions
FROM gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
