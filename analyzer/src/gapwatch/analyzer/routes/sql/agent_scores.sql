-- Returns one scorecard row per (service, agent): runs, failures, tool and delegation calls,
-- sessions, tokens, p95 latency. Parameters: database, since, limit.
SELECT
    service,
    agent,
    countIf(span_type = 'agent') AS runs,
    count() AS spans,
    countIf(outcome != 'ok') AS failures,
    round(failures / spans, 4) AS failure_rate,
    countIf(span_type = 'tool') AS tool_calls,
    countIf(span_type = 'tool' AND outcome != 'ok') AS tool_failures,
    countIf(span_type = 'delegation') AS delegations,
    uniqExactIf(session_id, session_id != '') AS sessions,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    round(quantile(0.95)(duration_ns) / 1e6, 3) AS p95_ms
FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(6, 'UTC')} AND agent != ''
GROUP BY service, agent
ORDER BY failures DESC, spans DESC, service, agent
LIMIT {limit:UInt32}
