-- Returns, for the reported subjects only (service, agent, tool, input unit), the size buckets of the screening pass plus evidence over the timed-out calls (else all calls, slowest first).
-- Parameters: database (Identifier), since, until (DateTime64(9)), subjects (Array(Tuple(String, String, String, String))).
WITH sized AS (
    SELECT service, agent, tool, input_unit, outcome, duration_ns, timestamp, trace_id,
        session_id,
        round(input_size, toInt32(1 - floor(log10(input_size)))) AS bucket,
        log(toFloat64(duration_ns) + 1) AS log_ns
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND input_size > 0
        -- the tool alone first: an IN on a LowCardinality column is decided once per distinct
        -- value, the tuple IN then only runs on the rows left
        AND tool IN (SELECT arrayJoin({subjects:Array(Tuple(String, String, String, String))}).3)
        AND (service, agent, tool, input_unit)
            IN {subjects:Array(Tuple(String, String, String, String))}
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
SELECT
    b.service AS service, b.agent AS agent, b.tool AS tool, b.input_unit AS input_unit,
    b.buckets AS buckets, b.total AS total, e.count AS count, e.sessions AS sessions,
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
) AS b
INNER JOIN (
    -- evidence: the timed-out calls when there are any, else all calls (slowest-first traces)
    SELECT service, agent, tool, input_unit,
        countIf(outcome = 'timeout') AS count,
        if(count > 0,
           uniqExactIf(if(session_id = '', concat('trace:', trace_id), session_id), outcome = 'timeout'),
           uniqExact(if(session_id = '', concat('trace:', trace_id), session_id))) AS sessions,
        if(count > 0, minIf(timestamp, outcome = 'timeout'), min(timestamp)) AS first_seen,
        if(count > 0, maxIf(timestamp, outcome = 'timeout'), max(timestamp)) AS last_seen,
        -- timeouts first, then slowest, then newest: one sortable string per call (flag, 16 hex
        -- digits each of the inverted duration and time, trace id) is far cheaper for
        -- groupArraySorted than the same key as a tuple
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 34), groupArraySorted(50)(concat(
            if(outcome = 'timeout', '0', '1'),
            leftPad(hex(bitNot(duration_ns)), 16, '0'),
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'),
            trace_id)))), 1, 10) AS traces
    FROM sized
    GROUP BY service, agent, tool, input_unit
) AS e ON e.service = b.service AND e.agent = b.agent AND e.tool = b.tool
    AND e.input_unit = b.input_unit
ORDER BY service, agent, tool, input_unit
