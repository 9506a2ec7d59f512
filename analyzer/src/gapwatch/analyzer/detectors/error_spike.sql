-- Returns per (service, span type, agent, tool, target) the calls and failures of the recent window and of the baseline before it, with evidence over recent failures and failure fingerprints of both.
-- Parameters: database (Identifier), since, until, recent_since (DateTime64(9)), min_errors (UInt32).
-- Counts come from narrow columns over every span; the evidence columns are computed over the
-- failures only (recent ones, and the baseline's for their fingerprints).
WITH scoped AS (
    -- a delegation edge is named by its caller and target, whatever its own agent column says
    SELECT service, span_type, if(span_type = 'delegation', caller_agent, agent) AS owner, tool,
        target_agent, timestamp, outcome, session_id,
        trace_id, error_fingerprint,
        timestamp >= {recent_since:DateTime64(9)} AS recent, outcome != 'ok' AS failed
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('agent', 'tool', 'delegation')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
SELECT
    r.service AS service, r.span_type AS span_type, r.owner AS agent, r.tool AS tool,
    r.target_agent AS target_agent,
    c.recent_calls AS recent_calls,
    r.count AS count,
    c.baseline_calls AS baseline_calls,
    c.baseline_failures AS baseline_failures,
    r.sessions AS sessions,
    r.first_seen AS first_seen,
    r.last_seen AS last_seen,
    r.traces AS traces,
    r.recent_errors AS recent_errors,
    b.baseline_errors AS baseline_errors
FROM (
    SELECT service, span_type, owner, tool, target_agent,
        count() AS count,
        uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        -- newest first: one sortable string per span (16 hex digits of the inverted time, then
        -- the trace id) is far cheaper for groupArraySorted than a tuple
        arrayMap(x -> substring(x, 17), groupArraySorted(10)(concat(
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'),
            trace_id))) AS traces,
        sumMap([error_fingerprint], [toUInt64(1)]) AS recent_errors
    FROM scoped
    WHERE recent AND failed
    GROUP BY service, span_type, owner, tool, target_agent
    HAVING count >= {min_errors:UInt32}
) AS r
INNER JOIN (
    SELECT service, span_type, owner, tool, target_agent,
        countIf(recent) AS recent_calls,
        countIf(NOT recent) AS baseline_calls,
        countIf(NOT recent AND failed) AS baseline_failures
    FROM scoped
    GROUP BY service, span_type, owner, tool, target_agent
) AS c ON c.service = r.service AND c.span_type = r.span_type AND c.owner = r.owner
    AND c.tool = r.tool AND c.target_agent = r.target_agent
LEFT JOIN (
    SELECT service, span_type, owner, tool, target_agent,
        sumMap([error_fingerprint], [toUInt64(1)]) AS baseline_errors
    FROM scoped
    WHERE NOT recent AND failed
    GROUP BY service, span_type, owner, tool, target_agent
) AS b ON b.service = r.service AND b.span_type = r.span_type AND b.owner = r.owner
    AND b.tool = r.tool AND b.target_agent = r.target_agent
ORDER BY count DESC, service, span_type, agent, tool, target_agent
