-- Tools bar chart: timeout rate per power-of-two input-size bucket, for calls that report a size.
-- Columns: size_bucket (String, e.g. '4096-8191 lines'), calls, timeouts (UInt64),
-- timeout_rate (Float64).
SELECT
    concat(toString(toUInt64(exp2(floor(log2(input_size))))), '-',
           toString(toUInt64(exp2(floor(log2(input_size)) + 1)) - 1), ' ', any(input_unit))
        AS size_bucket,
    count() AS calls,
    countIf(outcome = 'timeout') AS timeouts,
    timeouts / calls AS timeout_rate
FROM gapwatch_agent_spans
WHERE $__timeFilter(timestamp) AND span_type = 'tool' AND input_size >= 1
  AND $__conditionalAll(service IN (${service:singlequote}), $service)
  AND $__conditionalAll(agent IN (${agent:singlequote}), $agent)
  AND $__conditionalAll(tool IN (${tool:singlequote}), $tool)
  AND $__conditionalAll(agent_version IN (${version:singlequote}), $version)
GROUP BY floor(log2(input_size))
ORDER BY floor(log2(input_size))
