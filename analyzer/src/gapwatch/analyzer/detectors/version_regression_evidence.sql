-- Returns, for the compared versions only (subjects: service, agent, version kind, version), the screening columns plus sessions, sample traces (failing runs first) and runs failing in each failure mode.
-- Parameters: database (Identifier), since, until (DateTime64(9)), subjects (Array(Tuple(String, String, String, String))).
-- The agent's own runs as in version_regression.sql, then only the subjects' versions.
SELECT
    service, agent, kv.1 AS version_kind, kv.2 AS version,
    -- runs, and runs with a failure of their own (the run, or a tool or model call it made)
    count() AS calls,
    countIf(failed_spans > 0) AS count,
    sum(spans) AS spans,
    sum(run_spans) AS runs,
    if(runs > 0, sum(log_duration_sum) / runs, 0) AS log_latency_mean,
    if(runs > 1,
       greatest(sum(log_duration_squares) - runs * pow(log_latency_mean, 2), 0) / (runs - 1), 0)
        AS log_latency_var,
    sum(token_spans) AS token_spans,
    if(token_spans > 0, sum(token_sum) / token_spans, 0) AS tokens_mean,
    if(token_spans > 1,
       greatest(sum(token_squares) - token_spans * pow(tokens_mean, 2), 0) / (token_spans - 1), 0)
        AS tokens_var,
    uniqExact(session_id) AS sessions,
    min(timestamp) AS first_seen,
    max(ended) AS last_seen,
    -- failing runs first, then newest first: one sortable string per run is far cheaper for
    -- groupArraySorted than a tuple (flag, 16 hex digits of the inverted time, trace id)
    arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18), groupArraySorted(50)(concat(
        if(failed_spans = 0, '1', '0'),
        leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(ended)), 9223372036854775807)), 16, '0'),
        trace_id)))), 1, 10) AS traces,
    sumMap(errors, arrayMap(e -> toUInt64(1), errors)) AS errors
FROM {database:Identifier}.gapwatch_agent_runs
ARRAY JOIN [('agent_version', agent_version), ('prompt_version', prompt_version),
            ('service_version', service_version)] AS kv
-- the agent alone first: an IN on a LowCardinality column is decided once per distinct value
WHERE agent IN (SELECT arrayJoin({subjects:Array(Tuple(String, String, String, String))}).2)
    AND (service, agent, kv.1, kv.2) IN {subjects:Array(Tuple(String, String, String, String))}
    AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
GROUP BY service, agent, version_kind, version
ORDER BY service, agent, version_kind, first_seen, version
