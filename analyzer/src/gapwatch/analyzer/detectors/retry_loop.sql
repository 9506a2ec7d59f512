-- Returns tools an agent calls again and again with identical arguments (or attempt numbers) inside one trace: loops, the traces calling the tool, wasted calls, time and tokens, sessions, first/last seen, sample traces.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_repeats, min_loops, max_findings (UInt32), min_loop_share (Float64).
WITH candidates AS (
    -- cheap first pass: the traces with a (trace, tool, arguments) key that repeats. Only calls
    -- with arguments or a high attempt number can make one, and the trace id is grouped by its
    -- 128-bit hash (as uniqExact does) instead of the string
    SELECT any(trace_id) AS candidate_trace
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool' AND (arguments_hash != 0 OR attempt >= {min_repeats:UInt32})
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY sipHash128(trace_id), tool, arguments_hash
    HAVING if(arguments_hash != 0, count(), max(attempt)) >= {min_repeats:UInt32}
),
calls AS (
    -- the tool and model calls of the candidate traces (the trace-id bloom filter skips the
    -- rest) in one pass: tool calls grouped exactly by (trace, tool, arguments), the model calls
    -- of a trace as (time, tokens)
    SELECT service, agent, tool, trace_id, arguments_hash, span_type,
        max(if(session_id = '', concat('trace:', trace_id), session_id)) AS session,
        if(arguments_hash != 0, count(), max(attempt)) AS repeats,
        min(timestamp) AS started,
        max(timestamp) AS ended,
        sum(duration_ns) - argMax(duration_ns, (timestamp, span_id)) AS wasted_ns,
        argMax(outcome, (timestamp, span_id)) AS final_outcome,
        countIf(outcome != 'ok') AS failed_calls,
        sumMapIf([error_fingerprint], [toUInt64(1)], outcome != 'ok') AS errors,
        groupArrayIf((timestamp, input_tokens + output_tokens), span_type = 'llm') AS model_calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('tool', 'llm')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
        AND trace_id IN (SELECT candidate_trace FROM candidates)
    GROUP BY service, agent, tool, trace_id, arguments_hash, span_type
),
loops AS (
    SELECT * FROM (
        SELECT *, arrayFlatten(groupArray(model_calls) OVER (PARTITION BY trace_id))
            AS trace_model_calls
        FROM calls
    )
    WHERE span_type = 'tool' AND repeats >= {min_repeats:UInt32}
),
tool_traces AS (
    -- how many traces called each tool: loops must be a real share of them. Over every tool,
    -- which is cheaper than restricting it to the looping ones (that would build the loops twice)
    SELECT service, agent, tool, uniq(trace_id) AS traces
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool'
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, agent, tool
)
SELECT
    l.service AS service, l.agent AS agent, l.tool AS tool,
    count() AS count,
    any(t.traces) AS tool_traces,
    uniqExact(l.session) AS sessions,
    min(l.started) AS first_seen,
    max(l.ended) AS last_seen,
    arraySlice(arrayDistinct(arrayMap(x -> x.2,
        groupArraySorted(50)((-toUnixTimestamp64Nano(l.ended), l.trace_id)))), 1, 10) AS traces,
    sum(l.repeats - 1) AS wasted_calls,
    max(l.repeats) AS max_repeats,
    sum(l.wasted_ns) AS wasted_ns,
    -- model tokens spent in the trace while the loop ran: the cost of going round
    sum(arraySum(arrayMap(c -> if(c.1 >= l.started AND c.1 <= l.ended, c.2, 0),
                          l.trace_model_calls))) AS wasted_tokens,
    countIf(l.final_outcome = 'ok') AS ended_ok,
    sum(l.failed_calls) AS failed_calls,
    sumMap(l.errors) AS errors
FROM loops AS l
INNER JOIN tool_traces AS t ON t.service = l.service AND t.agent = l.agent AND t.tool = l.tool
GROUP BY l.service, l.agent, l.tool
HAVING count >= {min_loops:UInt32} AND count >= tool_traces * {min_loop_share:Float64}
ORDER BY wasted_calls DESC, service, agent, tool
LIMIT {max_findings:UInt32}
