-- Returns per (service, agent, version kind, version) the spans, failures, log-latency and token moments and evidence over failures, for before/after comparison.
-- Parameters: database (Identifier), since, until (DateTime64(9)).
SELECT
    service, agent, v.1 AS version_kind, v.2 AS version,
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
    arraySlice(arrayDistinct(arrayMap(x -> x.3, groupArraySorted(50)(
        (outcome = 'ok', -toUnixTimestamp64Nano(timestamp), trace_id)))), 1, 10) AS traces,
    sumMapIf([error_fingerprint], [toUInt64(1)], outcome != 'ok') AS errors
FROM {database:Identifier}.gapwatch_agent_spans
ARRAY JOIN [('agent_version', agent_version), ('prompt_version', prompt_version),
            ('service_version', service_version)] AS v
WHERE v.2 != '' AND agent != '' AND span_type IN ('agent', 'tool', 'delegation', 'llm')
    AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
GROUP BY service, agent, version_kind, version
ORDER BY service, agent, version_kind, first_seen, version
