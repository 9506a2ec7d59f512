-- Returns every delegation edge (caller → target, by category) with calls, failures, outcome and error counts, the tools that carried it, and evidence over its failures.
-- Parameters: database (Identifier), since, until (DateTime64(9)), max_edges (UInt32).
SELECT
    service, caller_agent, target_agent, delegation_category,
    count() AS calls,
    countIf(outcome != 'ok') AS count,
    uniqExactIf(if(session_id = '', concat('trace:', trace_id), session_id), outcome != 'ok') AS sessions,
    if(count > 0, minIf(timestamp, outcome != 'ok'), min(timestamp)) AS first_seen,
    if(count > 0, maxIf(timestamp, outcome != 'ok'), max(timestamp)) AS last_seen,
    -- failures first, then newest: one sortable string per span (flag, 16 hex digits of the
    -- inverted time, trace id) is far cheaper for groupArraySorted than a tuple
    arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18), groupArraySorted(50)(concat(
        if(outcome = 'ok', '1', '0'), leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'), trace_id)))), 1, 10) AS traces,
    sumMapIf([outcome], [toUInt64(1)], outcome != 'ok') AS outcomes,
    sumMapIf([error_fingerprint], [toUInt64(1)], outcome != 'ok') AS errors,
    -- the caller's tools that carried the delegation (agents called as tools)
    sumMapIf([tool], [toUInt64(1)], tool != '') AS tools,
    quantileExact(0.5)(duration_ns) AS median_duration_ns
FROM {database:Identifier}.gapwatch_agent_spans
WHERE span_type = 'delegation'
    AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
GROUP BY service, caller_agent, target_agent, delegation_category
ORDER BY count DESC, service, caller_agent, target_agent, delegation_category
LIMIT {max_edges:UInt32}
