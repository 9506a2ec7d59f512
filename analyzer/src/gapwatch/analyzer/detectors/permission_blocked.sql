-- Returns refused actions grouped by agent, tool and resource pattern (top two directories, URL host): refusals, sessions, first/last seen, sample traces, capability and reason counts.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_refusals, min_sessions, max_findings (UInt32).
SELECT
    service, agent, tool, pattern,
    count() AS count,
    uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    -- newest first: one sortable string per span (16 hex digits of the inverted time, then the
    -- trace id) is far cheaper for groupArraySorted than a tuple
    arraySlice(arrayDistinct(arrayMap(x -> substring(x, 17), groupArraySorted(50)(concat(
        leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'), trace_id)))), 1, 10) AS traces,
    sumMap([desired_capability], [toUInt64(1)]) AS capabilities,
    sumMap([error_fingerprint], [toUInt64(1)]) AS reasons,
    -- the latest span's reason (span id breaks ties), keyed by one sortable string
    argMax(blocked_reason, concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'), span_id)) AS example_reason,
    arraySlice(arraySort(groupUniqArray(resource)), 1, 5) AS resources
FROM (
    SELECT *,
        arrayPopBack(splitByChar('/', resource)) AS directories,
        multiIf(
            resource = '', '',
            match(resource, '^[A-Za-z][A-Za-z0-9+.-]*://'),
                concat(protocol(resource), '://', domain(resource), '/**'),
            empty(directories), '*',
            concat(arrayStringConcat(
                arraySlice(directories, 1, if(startsWith(resource, '/'), 3, 2)), '/'), '/**')
        ) AS pattern
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE outcome = 'blocked' AND span_type IN ('tool', 'delegation')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
GROUP BY service, agent, tool, pattern
HAVING count >= {min_refusals:UInt32} AND sessions >= {min_sessions:UInt32}
ORDER BY count DESC, service, agent, tool, pattern
LIMIT {max_findings:UInt32}
