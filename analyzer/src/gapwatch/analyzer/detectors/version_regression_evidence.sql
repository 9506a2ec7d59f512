-- Returns, for the compared versions only (subjects: service, agent, version kind, version), the screening columns plus sessions, sample traces (failures first) and failure fingerprints.
-- Parameters: database (Identifier), since, until (DateTime64(9)), subjects (Array(Tuple(String, String, String, String))).
SELECT
    service, agent, version_kind, version,
    count() AS calls,
    countIf(outcome != 'ok') AS count,
    avgIf(log(toFloat64(duration_ns) + 1), span_type = 'agent') AS log_latency_mean,
    varSampIf(log(toFloat64(duration_ns) + 1), span_type = 'agent') AS log_latency_var,
    countIf(span_type = 'agent') AS runs,
    avgIf(toFloat64(input_tokens + output_tokens), input_tokens + output_tokens > 0) AS tokens_mean,
    varSampIf(toFloat64(input_tokens + output_tokens), input_tokens + output_tokens > 0) AS tokens_var,
    countIf(input_tokens + output_tokens > 0) AS token_spans,
    uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    -- failures first, then newest first: one sortable string per span is far cheaper for
    -- groupArraySorted than a tuple (flag, 16 hex digits of the inverted time, trace id)
    arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18), groupArraySorted(50)(concat(
        if(outcome = 'ok', '1', '0'),
        leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'),
        trace_id)))), 1, 10) AS traces,
    sumMapIf([error_fingerprint], [toUInt64(1)], outcome != 'ok') AS errors
FROM (
    SELECT service, agent, 'agent_version' AS version_kind, agent_version AS version, span_type,
        outcome, duration_ns, input_tokens, output_tokens, timestamp, session_id, trace_id,
        error_fingerprint
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE (service, agent, 'agent_version', agent_version)
            IN {subjects:Array(Tuple(String, String, String, String))}
        AND span_type IN ('agent', 'tool', 'delegation', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    UNION ALL
    SELECT service, agent, 'prompt_version', prompt_version, span_type,
        outcome, duration_ns, input_tokens, output_tokens, timestamp, session_id, trace_id,
        error_fingerprint
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE (service, agent, 'prompt_version', prompt_version)
            IN {subjects:Array(Tuple(String, String, String, String))}
        AND span_type IN ('agent', 'tool', 'delegation', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    UNION ALL
    SELECT service, agent, 'service_version', service_version, span_type,
        outcome, duration_ns, input_tokens, output_tokens, timestamp, session_id, trace_id,
        error_fingerprint
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE (service, agent, 'service_version', service_version)
            IN {subjects:Array(Tuple(String, String, String, String))}
        AND span_type IN ('agent', 'tool', 'delegation', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
GROUP BY service, agent, version_kind, version
ORDER BY service, agent, version_kind, first_seen, version
