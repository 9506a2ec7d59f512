-- Returns tools that report failures as normal results (error payload, span status OK), per (service, agent, tool, fingerprint): count, the tool's calls, sessions, first/last seen, sample traces.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_count, min_sessions, max_findings (UInt32), min_rate (Float64).
WITH calls AS (
    SELECT service, agent, tool, count() AS calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent, tool
)
SELECT
    s.service AS service, s.agent AS agent, s.tool AS tool, s.error_fingerprint AS error_fingerprint,
    s.count AS count, c.calls AS calls, s.sessions AS sessions, s.first_seen AS first_seen,
    s.last_seen AS last_seen, s.traces AS traces, s.example AS example
FROM (
    SELECT service, agent, tool, error_fingerprint,
        count() AS count,
        uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        -- newest first: one sortable string per span (16 hex digits of the inverted time, then
        -- the trace id) is far cheaper for groupArraySorted than a tuple
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 17), groupArraySorted(50)(concat(
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'), trace_id)))), 1, 10) AS traces,
        -- the latest span's message (span id breaks ties), keyed by one sortable string
        argMax(error_message, concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'), span_id)) AS example
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND outcome = 'soft_error'
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent, tool, error_fingerprint
    HAVING count >= {min_count:UInt32} AND sessions >= {min_sessions:UInt32}
) AS s
INNER JOIN calls AS c ON c.service = s.service AND c.agent = s.agent AND c.tool = s.tool
WHERE s.count >= c.calls * {min_rate:Float64}
ORDER BY count DESC, service, agent, tool, error_fingerprint
LIMIT {max_findings:UInt32}
