-- Returns, per (service, agent, tool, input unit), the calls by input-size bucket (2 significant digits) with timeouts and log-latency sums, plus evidence over the timed-out calls.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_calls (UInt32).
WITH sized AS (
    SELECT *,
        round(input_size, toInt32(1 - floor(log10(input_size)))) AS bucket,
        log(toFloat64(duration_ns) + 1) AS log_ns
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND input_size > 0
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
SELECT
    b.service AS service, b.agent AS agent, b.tool AS tool, b.input_unit AS input_unit,
    b.buckets AS buckets, e.count AS count, e.sessions AS sessions,
    e.first_seen AS first_seen, e.last_seen AS last_seen, e.traces AS traces
FROM (
    SELECT service, agent, tool, input_unit,
        arraySort(groupArray((bucket, calls, timeouts, log_sum, log_squares))) AS buckets,
        sum(calls) AS total
    FROM (
        SELECT service, agent, tool, input_unit, bucket,
            count() AS calls,
            countIf(outcome = 'timeout') AS timeouts,
            sumIf(log_ns, outcome != 'timeout') AS log_sum,
            sumIf(log_ns * log_ns, outcome != 'timeout') AS log_squares
        FROM sized
        GROUP BY service, agent, tool, input_unit, bucket
    )
    GROUP BY service, agent, tool, input_unit
    HAVING total >= {min_calls:UInt32}
) AS b
LEFT JOIN (
    -- evidence: the timed-out calls when there are any, else all calls (slowest-first traces)
    SELECT service, agent, tool, input_unit,
        countIf(outcome = 'timeout') AS count,
        if(count > 0,
           uniqExactIf(if(session_id = '', concat('trace:', trace_id), session_id), outcome = 'timeout'),
           uniqExact(if(session_id = '', concat('trace:', trace_id), session_id))) AS sessions,
        if(count > 0, minIf(timestamp, outcome = 'timeout'), min(timestamp)) AS first_seen,
        if(count > 0, maxIf(timestamp, outcome = 'timeout'), max(timestamp)) AS last_seen,
        arraySlice(arrayDistinct(arrayMap(x -> x.4, groupArraySorted(50)(
            (outcome != 'timeout', -toInt64(duration_ns), -toUnixTimestamp64Nano(timestamp), trace_id)))),
            1, 10) AS traces
    FROM sized
    GROUP BY service, agent, tool, input_unit
) AS e ON e.service = b.service AND e.agent = b.agent AND e.tool = b.tool
    AND e.input_unit = b.input_unit
ORDER BY service, agent, tool, input_unit
