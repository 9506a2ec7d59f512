-- Returns tools an agent calls again and again with identical arguments (or attempt numbers) inside one trace: loops, wasted calls, time and tokens, sessions, first/last seen, sample traces.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_repeats, min_loops, max_findings (UInt32).
WITH loops AS (
    SELECT service, agent, tool, trace_id, arguments_hash,
        max(if(session_id = '', concat('trace:', trace_id), session_id)) AS session,
        if(arguments_hash != 0, count(), max(attempt)) AS repeats,
        min(timestamp) AS started,
        max(timestamp) AS ended,
        sum(duration_ns) - argMax(duration_ns, (timestamp, span_id)) AS wasted_ns,
        argMax(outcome, (timestamp, span_id)) AS final_outcome,
        countIf(outcome != 'ok') AS failed_calls,
        sumMapIf([error_fingerprint], [toUInt64(1)], outcome != 'ok') AS errors
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'tool'
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
        -- cheap first pass: only the (trace, tool, arguments) keys that repeat get the full
        -- aggregation below
        AND (trace_id, tool, arguments_hash) IN (
            SELECT trace_id, tool, arguments_hash
            FROM {database:Identifier}.gapwatch_agent_spans
            WHERE span_type = 'tool'
                AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
            GROUP BY trace_id, tool, arguments_hash
            HAVING if(arguments_hash != 0, count(), max(attempt)) >= {min_repeats:UInt32}
        )
    GROUP BY service, agent, tool, trace_id, arguments_hash
    HAVING repeats >= {min_repeats:UInt32}
),
loop_tokens AS (
    -- model tokens spent in the trace while the loop ran: the cost of going round
    SELECT l.trace_id AS trace_id, l.tool AS tool, l.arguments_hash AS arguments_hash,
        sum(s.input_tokens + s.output_tokens) AS tokens
    FROM loops AS l
    INNER JOIN (
        SELECT trace_id, timestamp, input_tokens, output_tokens
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'llm'
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
            AND trace_id IN (SELECT trace_id FROM loops)
    ) AS s ON s.trace_id = l.trace_id
    WHERE s.timestamp >= l.started AND s.timestamp <= l.ended
    GROUP BY l.trace_id, l.tool, l.arguments_hash
)
SELECT
    l.service AS service, l.agent AS agent, l.tool AS tool,
    count() AS count,
    uniqExact(l.session) AS sessions,
    min(l.started) AS first_seen,
    max(l.ended) AS last_seen,
    arraySlice(arrayDistinct(arrayMap(x -> x.2,
        groupArraySorted(50)((-toUnixTimestamp64Nano(l.ended), l.trace_id)))), 1, 10) AS traces,
    sum(l.repeats - 1) AS wasted_calls,
    max(l.repeats) AS max_repeats,
    sum(l.wasted_ns) AS wasted_ns,
    sum(t.tokens) AS wasted_tokens,
    countIf(l.final_outcome = 'ok') AS ended_ok,
    sum(l.failed_calls) AS failed_calls,
    sumMap(l.errors) AS errors
FROM loops AS l
LEFT JOIN loop_tokens AS t
    ON t.trace_id = l.trace_id AND t.tool = l.tool AND t.arguments_hash = l.arguments_hash
GROUP BY l.service, l.agent, l.tool
HAVING count >= {min_loops:UInt32}
ORDER BY wasted_calls DESC, service, agent, tool
LIMIT {max_findings:UInt32}
