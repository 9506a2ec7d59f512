-- Report: per-agent, per-tool scorecard for one window. Parameters: since, until.
-- Columns: agent, tool, calls, error_rate, p50_ms, p95_ms, timeouts, blocked, soft_errors.
SELECT
    agent,
    tool,
    count() AS calls,
    countIf(outcome != 'ok') / calls AS error_rate,
    quantile(0.5)(duration_ns) / 1e6 AS p50_ms,
    quantile(0.95)(duration_ns) / 1e6 AS p95_ms,
    countIf(outcome = 'timeout') AS timeouts,
    countIf(outcome = 'blocked') AS blocked,
    countIf(outcome = 'soft_error') AS soft_errors
FROM gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)} AND span_type = 'tool'
GROUP BY agent, tool
ORDER BY agent, tool
