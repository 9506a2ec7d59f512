-- Report chart: calls with an input size, for the timeout-versus-size scatter.
-- Parameters: since, until, limit (UInt32). Columns: tool, input_size, input_unit, timed_out.
SELECT tool, input_size, input_unit, outcome = 'timeout' AS timed_out
FROM gapwatch_agent_spans
WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)} AND span_type = 'tool' AND input_size > 0
  AND tool IN (
      SELECT tool FROM gapwatch_agent_spans
      WHERE timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)} AND span_type = 'tool' AND outcome = 'timeout' AND input_size > 0
  )
ORDER BY cityHash64(span_id)
LIMIT {limit:UInt32}
