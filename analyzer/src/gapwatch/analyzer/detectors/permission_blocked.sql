-- Returns refused actions grouped by agent, tool and refusal rule (the refusal's fingerprint): refusals, the agent's calls of the tool, sessions, first/last seen, sample traces, capability counts and the refused resources.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_refusals, min_sessions, max_findings (UInt32), min_refusal_share (Float64).
WITH calls AS (
    SELECT service, agent, tool, count() AS calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('tool', 'delegation')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent, tool
)
SELECT
    b.service AS service, b.agent AS agent, b.tool AS tool, b.rule AS rule, b.count AS count,
    c.calls AS calls, b.sessions AS sessions, b.first_seen AS first_seen,
    b.last_seen AS last_seen, b.traces AS traces, b.capabilities AS capabilities,
    b.example_reason AS example_reason, b.resources AS resources
FROM (
    SELECT
        service, agent, tool, error_fingerprint AS rule,
        count() AS count,
        uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        -- newest first: one sortable string per span (16 hex digits of the inverted time, then
        -- the trace id) is far cheaper for groupArraySorted than a tuple
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 17), groupArraySorted(50)(concat(
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'), trace_id)))), 1, 10) AS traces,
        sumMap([desired_capability], [toUInt64(1)]) AS capabilities,
        -- the latest span's reason (span id breaks ties), keyed by one sortable string
        argMax(blocked_reason, concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'), span_id)) AS example_reason,
        -- the refused resources (up to 200 distinct, sorted) for their common pattern
        arraySort(groupUniqArray(200)(resource)) AS resources
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE outcome = 'blocked' AND span_type IN ('tool', 'delegation')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent, tool, rule
    HAVING count >= {min_refusals:UInt32} AND sessions >= {min_sessions:UInt32}
) AS b
INNER JOIN calls AS c ON c.service = b.service AND c.agent = b.agent AND c.tool = b.tool
WHERE b.count >= c.calls * {min_refusal_share:Float64}
ORDER BY count DESC, service, agent, tool, rule
LIMIT {max_findings:UInt32}
