-- Returns per (service, span type, agent, tool, target) the calls and failures of the recent window and of the baseline before it, with evidence over recent failures and failure fingerprints of both.
-- Parameters: database (Identifier), since, until, recent_since (DateTime64(9)), min_errors (UInt32).
SELECT
    service, span_type, agent, tool, target_agent,
    countIf(recent) AS recent_calls,
    countIf(recent AND failed) AS count,
    countIf(NOT recent) AS baseline_calls,
    countIf(NOT recent AND failed) AS baseline_failures,
    uniqExactIf(if(session_id = '', concat('trace:', trace_id), session_id), recent AND failed)
        AS sessions,
    minIf(timestamp, recent AND failed) AS first_seen,
    maxIf(timestamp, recent AND failed) AS last_seen,
    arraySlice(arrayMap(x -> x.2, groupArraySortedIf(10)(
        (-toUnixTimestamp64Nano(timestamp), trace_id), recent AND failed)), 1, 10) AS traces,
    sumMapIf([error_fingerprint], [toUInt64(1)], recent AND failed) AS recent_errors,
    sumMapIf([error_fingerprint], [toUInt64(1)], NOT recent AND failed) AS baseline_errors
FROM (
    SELECT *, timestamp >= {recent_since:DateTime64(9)} AS recent, outcome != 'ok' AS failed
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('agent', 'tool', 'delegation')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
GROUP BY service, span_type, agent, tool, target_agent
HAVING count >= {min_errors:UInt32}
ORDER BY count DESC, service, span_type, agent, tool, target_agent
