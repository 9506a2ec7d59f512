-- Returns per (service, agent, version kind, version) the spans, failures and log-latency and token moments, ordered by first seen: the screening pass (narrow columns only).
-- Parameters: database (Identifier), since, until (DateTime64(9)).
-- One branch per version kind instead of an ARRAY JOIN that would triple every row; a branch
-- skips the spans without that kind of version.
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
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen
FROM (
    SELECT service, agent, 'agent_version' AS version_kind, agent_version AS version,
        span_type, outcome, duration_ns, input_tokens, output_tokens, timestamp
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE agent_version != '' AND agent != '' AND span_type IN ('agent', 'tool', 'delegation', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    UNION ALL
    SELECT service, agent, 'prompt_version', prompt_version,
        span_type, outcome, duration_ns, input_tokens, output_tokens, timestamp
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE prompt_version != '' AND agent != '' AND span_type IN ('agent', 'tool', 'delegation', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    UNION ALL
    SELECT service, agent, 'service_version', service_version,
        span_type, outcome, duration_ns, input_tokens, output_tokens, timestamp
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE service_version != '' AND agent != '' AND span_type IN ('agent', 'tool', 'delegation', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
GROUP BY service, agent, version_kind, version
ORDER BY service, agent, version_kind, first_seen, version
