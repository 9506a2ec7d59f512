-- Returns tools that keep failing the same way: one row per (service, agent, tool, error type, fingerprint) with failures, the tool's calls, sessions, first/last seen, sample traces.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_failures, min_sessions, max_findings (UInt32), min_failure_rate (Float64).
WITH calls AS (
    SELECT service, agent, tool, count() AS calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent, tool
),
failing AS (
    -- cheap first pass: the (tool, failure mode) groups with enough failures for their tool's
    -- calls; only their spans get the evidence columns below
    SELECT f.service AS service, f.agent AS agent, f.tool AS tool, f.error_type AS error_type,
        f.error_fingerprint AS error_fingerprint
    FROM (
        SELECT service, agent, tool, error_type, error_fingerprint, count() AS count
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'tool' AND outcome IN ('error', 'timeout')
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
        GROUP BY service, agent, tool, error_type, error_fingerprint
        HAVING count >= {min_failures:UInt32}
    ) AS f
    INNER JOIN calls AS c ON c.service = f.service AND c.agent = f.agent AND c.tool = f.tool
    WHERE f.count >= c.calls * {min_failure_rate:Float64}
)
SELECT
    f.service AS service, f.agent AS agent, f.tool AS tool, f.error_type AS error_type,
    f.error_fingerprint AS error_fingerprint, f.count AS count, c.calls AS calls,
    f.sessions AS sessions, f.first_seen AS first_seen, f.last_seen AS last_seen,
    f.traces AS traces, f.timeouts AS timeouts, f.example AS example,
    f.p95_duration_ns AS p95_duration_ns
FROM (
    SELECT
        service, agent, tool, error_type, error_fingerprint,
        count() AS count,
        countIf(outcome = 'timeout') AS timeouts,
        uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        -- newest first: one sortable string per span (16 hex digits of the inverted time, then
        -- the trace id) is far cheaper for groupArraySorted than a tuple
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 17), groupArraySorted(50)(concat(
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'), trace_id)))), 1, 10) AS traces,
        -- the latest span's message (span id breaks ties), keyed by one sortable string
        argMax(error_message, concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'), span_id)) AS example,
        quantileExact(0.95)(duration_ns) AS p95_duration_ns
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND outcome IN ('error', 'timeout')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
        AND (service, agent, tool, error_type, error_fingerprint) IN failing
    GROUP BY service, agent, tool, error_type, error_fingerprint
    HAVING count >= {min_failures:UInt32} AND sessions >= {min_sessions:UInt32}
) AS f
INNER JOIN calls AS c ON c.service = f.service AND c.agent = f.agent AND c.tool = f.tool
WHERE f.count >= c.calls * {min_failure_rate:Float64}
ORDER BY count DESC, service, agent, tool, error_type, error_fingerprint
LIMIT {max_findings:UInt32}
