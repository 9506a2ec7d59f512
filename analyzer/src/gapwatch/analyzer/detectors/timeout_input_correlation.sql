-- Returns, per (service, agent, tool, input unit) with enough sized calls, the calls by input-size bucket (2 significant digits) with timeouts and log-latency sums: the screening pass.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_calls (UInt32).
SELECT service, agent, tool, input_unit,
    arraySort(groupArray((bucket, calls, timeouts, log_sum, log_squares))) AS buckets,
    sum(calls) AS total
FROM (
    SELECT service, agent, tool, input_unit, bucket,
        count() AS calls,
        countIf(outcome = 'timeout') AS timeouts,
        sumIf(log_ns, outcome != 'timeout') AS log_sum,
        sumIf(log_ns * log_ns, outcome != 'timeout') AS log_squares
    FROM (
        SELECT service, agent, tool, input_unit, outcome,
            round(input_size, toInt32(1 - floor(log10(input_size)))) AS bucket,
            log(toFloat64(duration_ns) + 1) AS log_ns
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'tool' AND input_size > 0
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    )
    GROUP BY service, agent, tool, input_unit, bucket
)
GROUP BY service, agent, tool, input_unit
HAVING total >= {min_calls:UInt32}
ORDER BY service, agent, tool, input_unit
