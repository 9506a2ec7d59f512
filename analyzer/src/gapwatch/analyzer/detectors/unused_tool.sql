-- Returns tools offered to the model in tool definitions but never or rarely called: offers, calls, offering agents, sessions, first/last seen, sample traces.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_offers, max_findings (UInt32), max_call_rate (Float64).
WITH calls AS (
    SELECT service, tool, count() AS calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('tool', 'delegation') AND tool != ''
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, tool
)
SELECT
    o.service AS service, o.tool AS tool, o.count AS count, c.calls AS calls,
    o.offering_traces AS offering_traces, o.agents AS agents, o.sessions AS sessions,
    o.first_seen AS first_seen, o.last_seen AS last_seen, o.traces AS traces
FROM (
    SELECT service, offered AS tool,
        count() AS count,
        uniqExact(trace_id) AS offering_traces,
        sumMap([agent], [toUInt64(1)]) AS agents,
        uniqExact(if(session_id = '', concat('trace:', trace_id), session_id)) AS sessions,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        arraySlice(arrayDistinct(arrayMap(x -> x.2,
            groupArraySorted(50)((-toUnixTimestamp64Nano(timestamp), trace_id)))), 1, 10) AS traces
    FROM {database:Identifier}.gapwatch_agent_spans
    ARRAY JOIN offered_tools AS offered
    WHERE span_type IN ('llm', 'agent')
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, offered
    HAVING count >= {min_offers:UInt32}
) AS o
LEFT JOIN calls AS c ON c.service = o.service AND c.tool = o.tool
WHERE c.calls <= o.count * {max_call_rate:Float64}
ORDER BY count DESC, service, tool
LIMIT {max_findings:UInt32}
