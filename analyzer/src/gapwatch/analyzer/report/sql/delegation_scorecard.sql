-- Report: caller → callee delegation scorecard for one window. Parameters: since, until.
-- Columns: caller_agent, target_agent, delegations, success_rate, p95_ms.
SELECT
    caller_agent,
    target_agent,
    count() AS delegations,
    countIf(outcome = 'ok') / delegations AS success_rate,
    quantile(0.95)(duration_ns) / 1e6 AS p95_ms
FROM gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)} AND span_type = 'delegation'
GROUP BY caller_agent, target_agent
ORDER BY caller_agent, target_agent
