-- Returns the analysed window's traffic in one row: spans of the agent model, traces, sessions, agent runs (and user-facing ones), tool calls, model calls and delegations.
-- Parameters: database (Identifier), since, until (DateTime64(9)).
SELECT
    count() AS spans,
    uniq(trace_id) AS traces,
    uniqIf(session_id, session_id != '') AS sessions,
    countIf(span_type = 'agent') AS agent_runs,
    countIf(span_type = 'agent' AND caller_agent = '') AS user_runs,
    countIf(span_type = 'tool') AS tool_calls,
    countIf(span_type = 'llm') AS model_calls,
    countIf(span_type = 'delegation') AS delegations
FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
