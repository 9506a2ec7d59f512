-- Returns, for the compared versions only (subjects: service, agent, version kind, version), the screening columns plus sessions, sample traces (failing runs first) and runs failing in each failure mode.
-- Parameters: database (Identifier), since, until (DateTime64(9)), subjects (Array(Tuple(String, String, String, String))).
-- The agent's own runs as in version_regression.sql, then only the subjects' versions.
WITH runs AS (
    SELECT service, agent, any(trace_id) AS run_trace,
        if(maxIf(agent_version, span_type = 'agent') != '',
           maxIf(agent_version, span_type = 'agent'), max(agent_version)) AS agent_v,
        if(maxIf(prompt_version, span_type = 'agent') != '',
           maxIf(prompt_version, span_type = 'agent'), max(prompt_version)) AS prompt_v,
        max(service_version) AS service_v,
        count() AS span_calls,
        countIf(outcome != 'ok') AS failures,
        countIf(span_type = 'agent') AS agent_spans,
        sumIf(log(toFloat64(duration_ns) + 1), span_type = 'agent') AS log_sum,
        sumIf(pow(log(toFloat64(duration_ns) + 1), 2), span_type = 'agent') AS log_squares,
        countIf(input_tokens + output_tokens > 0) AS token_spans,
        sum(toFloat64(input_tokens + output_tokens)) AS token_sum,
        sum(pow(toFloat64(input_tokens + output_tokens), 2)) AS token_squares,
        min(timestamp) AS started,
        max(timestamp) AS ended,
        greatest(max(session_id), if(countIf(session_id = '') > 0, concat('trace:', any(trace_id)), ''))
            AS session,
        -- each failure mode once per run: a run failing four times the same way is one
        -- failed run of that mode
        groupUniqArrayIf(error_fingerprint, outcome != 'ok') AS errors
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('agent', 'tool', 'llm')
        -- the agent alone first: an IN on a LowCardinality column is decided once per distinct
        -- value, the whole subject is matched after the runs are built
        AND agent IN (SELECT arrayJoin({subjects:Array(Tuple(String, String, String, String))}).2)
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent,
        -- the run a row belongs to; rows from before run ids fall back to (trace, agent)
        if(run_id != '', run_id, concat(trace_id, ':', agent))
)
SELECT
    service, agent, kv.1 AS version_kind, kv.2 AS version,
    -- runs, and runs with a failure of their own (the run, or a tool or model call it made)
    count() AS calls,
    countIf(failures > 0) AS count,
    sum(span_calls) AS spans,
    sum(agent_spans) AS runs,
    if(runs > 0, sum(log_sum) / runs, 0) AS log_latency_mean,
    if(runs > 1, greatest(sum(log_squares) - runs * pow(log_latency_mean, 2), 0) / (runs - 1), 0)
        AS log_latency_var,
    sum(token_spans) AS token_spans,
    if(token_spans > 0, sum(token_sum) / token_spans, 0) AS tokens_mean,
    if(token_spans > 1,
       greatest(sum(token_squares) - token_spans * pow(tokens_mean, 2), 0) / (token_spans - 1), 0)
        AS tokens_var,
    uniqExact(session) AS sessions,
    min(started) AS first_seen,
    max(ended) AS last_seen,
    -- failing runs first, then newest first: one sortable string per run is far cheaper for
    -- groupArraySorted than a tuple (flag, 16 hex digits of the inverted time, trace id)
    arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18), groupArraySorted(50)(concat(
        if(failures = 0, '1', '0'),
        leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(ended)), 9223372036854775807)), 16, '0'),
        run_trace)))), 1, 10) AS traces,
    sumMap(errors, arrayMap(e -> toUInt64(1), errors)) AS errors
FROM runs
ARRAY JOIN [('agent_version', agent_v), ('prompt_version', prompt_v),
            ('service_version', service_v)] AS kv
WHERE (service, agent, kv.1, kv.2) IN {subjects:Array(Tuple(String, String, String, String))}
GROUP BY service, agent, version_kind, version
ORDER BY service, agent, version_kind, first_seen, version
