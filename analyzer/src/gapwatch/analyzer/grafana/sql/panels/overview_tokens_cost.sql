-- Overview time series: token usage and its cost at the dashboard's price per million tokens.
-- Columns: time (DateTime), input_tokens, output_tokens (UInt64), cost (Float64).
-- The price box is free text: percent-encoded it cannot close the literal it sits in.
SELECT
    $__timeInterval(timestamp) AS time,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    (input_tokens + output_tokens) / 1e6 * toFloat64OrZero(decodeURLComponent('${cost_per_mtok:percentencode}')) AS cost
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp)
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY time
ORDER BY time
