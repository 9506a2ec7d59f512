-- Report: the most frequent failure patterns (tool and delegation failures grouped by cause).
-- Parameters: since, until (DateTime64(9)), limit (UInt32). Columns: see SELECT.
SELECT
    span_type,
    if(span_type = 'delegation', concat(caller_agent, ' → ', target_agent), agent) AS who,
    tool,
    outcome,
    if(blocked_reason != '', blocked_reason, error_fingerprint) AS pattern,
    count() AS occurrences,
    uniqExact(session_id) AS sessions,
    avgIf(input_size, input_size > 0) AS avg_input_size,
    any(input_unit) AS input_unit,
    any(desired_capability) AS desired_capability,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    groupUniqArray(3)(trace_id) AS traces
FROM gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)} AND span_type IN ('tool', 'delegation') AND outcome != 'ok'
GROUP BY span_type, who, tool, outcome, pattern
ORDER BY occurrences DESC
LIMIT {limit:UInt32}
