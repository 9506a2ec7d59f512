-- Report chart: error rate per tool per bucket. Parameters: since, until, bucket_s (UInt32).
-- Columns: bucket (DateTime), tool, calls, error_rate.
SELECT
    toStartOfInterval(toDateTime(timestamp), toIntervalSecond({bucket_s:UInt32})) AS bucket,
    tool,
    count() AS calls,
    countIf(outcome != 'ok') / calls AS error_rate
FROM gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)} AND span_type = 'tool'
GROUP BY bucket, tool
ORDER BY bucket, tool
