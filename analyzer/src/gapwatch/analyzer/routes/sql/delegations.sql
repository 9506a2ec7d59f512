-- Returns the delegation matrix as edges caller → target with calls, failures and categories.
-- Parameters: database, since, limit.
SELECT
    service,
    if(caller_agent != '', caller_agent, agent) AS caller,
    target_agent AS target,
    count() AS calls,
    countIf(outcome != 'ok') AS failures,
    round(failures / calls, 4) AS failure_rate,
    arraySort(groupUniqArrayIf(delegation_category, delegation_category != '')) AS categories,
    round(quantile(0.95)(duration_ns) / 1e6, 3) AS p95_ms
FROM {database:Identifier}.gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(6, 'UTC')}
  AND span_type = 'delegation' AND target_agent != ''
GROUP BY service, caller, target
ORDER BY calls DESC, service, caller, target
LIMIT {limit:UInt32}
