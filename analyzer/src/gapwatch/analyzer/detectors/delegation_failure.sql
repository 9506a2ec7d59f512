-- Returns every delegation edge (caller → target, by category) with calls, failures, outcome and error counts, and evidence over its failures.
-- Parameters: database (Identifier), since, until (DateTime64(9)), max_edges (UInt32).
SELECT
    service, caller_agent, target_agent, delegation_category,
    count() AS calls,
    countIf(outcome != 'ok') AS count,
    uniqExactIf(if(session_id = '', concat('trace:', trace_id), session_id), outcome != 'ok') AS sessions,
    if(count > 0, minIf(timestamp, outcome != 'ok'), min(timestamp)) AS first_seen,
    if(count > 0, maxIf(timestamp, outcome != 'ok'), max(timestamp)) AS last_seen,
    arraySlice(arrayDistinct(arrayMap(x -> x.3, groupArraySorted(50)(
        (outcome = 'ok', -toUnixTimestamp64Nano(timestamp), trace_id)))), 1, 10) AS traces,
    sumMapIf([outcome], [toUInt64(1)], outcome != 'ok') AS outcomes,
    sumMapIf([error_fingerprint], [toUInt64(1)], outcome != 'ok') AS errors,
    quantileExact(0.5)(duration_ns) AS median_duration_ns
FROM {database:Identifier}.gapwatch_agent_spans
WHERE span_type = 'delegation'
    AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
GROUP BY service, caller_agent, target_agent, delegation_category
ORDER BY count DESC, service, caller_agent, target_agent, delegation_category
LIMIT {max_edges:UInt32}
