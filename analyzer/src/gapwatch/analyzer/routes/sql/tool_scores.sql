-- Returns one scorecard row per (service, tool): calls by outcome, failure rate, sessions,
-- latency quantiles, the agents using it. Parameters: database, since, limit.
SELECT
    service,
    tool,
    arraySort(groupUniqArray(agent)) AS agents,
    count() AS calls,
    countIf(outcome = 'error') AS errors,
    countIf(outcome = 'soft_error') AS soft_errors,
    countIf(outcome = 'blocked') AS blocked,
    countIf(outcome = 'timeout') AS timeouts,
    round(countIf(outcome != 'ok') / calls, 4) AS failure_rate,
    uniqExactIf(session_id, session_id != '') AS sessions,
    round(quantile(0.5)(duration_ns) / 1e6, 3) AS p50_ms,
    round(quantile(0.95)(duration_ns) / 1e6, 3) AS p95_ms,
    max(timestamp) AS last_seen
FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(6, 'UTC')} AND span_type = 'tool' AND tool != ''
GROUP BY service, tool
ORDER BY failure_rate DESC, calls DESC, service, tool
LIMIT {limit:UInt32}
