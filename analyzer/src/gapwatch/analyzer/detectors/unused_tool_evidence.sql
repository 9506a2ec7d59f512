-- Returns, for the screened (service, tool) subjects only, offers, calls, offering traces, offering agents, sessions, first/last seen and sample traces of the offers.
-- Parameters: database (Identifier), since, until (DateTime64(9)), subjects (Array(Tuple(String, String))).
WITH offers AS (
    SELECT service, offered AS tool, agent, trace_id, session_id, timestamp
    FROM {database:Identifier}.gapwatch_agent_spans
    ARRAY JOIN arrayFilter(
        t -> has(arrayMap(s -> s.2, {subjects:Array(Tuple(String, String))}), t),
        offered_tools) AS offered
    WHERE span_type IN ('llm', 'agent')
        AND hasAny(offered_tools, arrayMap(s -> s.2, {subjects:Array(Tuple(String, String))}))
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
        AND (service, offered) IN {subjects:Array(Tuple(String, String))}
),
calls AS (
    SELECT service, tool, count() AS calls
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type IN ('tool', 'delegation')
        AND tool IN (SELECT arrayJoin({subjects:Array(Tuple(String, String))}).2)
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, tool
),
by_agent AS (
    -- per offering agent first, so the agent counts need no sumMap over every offer; the
    -- distinct counts and samples stay aggregate states until merged per tool
    SELECT service, tool, agent,
        count() AS offers,
        uniqExactState(trace_id) AS trace_state,
        uniqExactState(if(session_id = '', concat('trace:', trace_id), session_id)) AS session_state,
        min(timestamp) AS first_offer,
        max(timestamp) AS last_offer,
        -- newest first: one sortable string per offer (16 hex digits of the inverted time,
        -- then the trace id) is far cheaper for groupArraySorted than a tuple
        groupArraySortedState(50)(concat(
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'),
            trace_id)) AS trace_sample
    FROM offers
    GROUP BY service, tool, agent
)
SELECT
    o.service AS service, o.tool AS tool, o.count AS count, c.calls AS calls,
    o.offering_traces AS offering_traces, o.agents AS agents, o.sessions AS sessions,
    o.first_seen AS first_seen, o.last_seen AS last_seen, o.traces AS traces
FROM (
    SELECT service, tool,
        sum(offers) AS count,
        uniqExactMerge(trace_state) AS offering_traces,
        sumMap([agent], [offers]) AS agents,
        uniqExactMerge(session_state) AS sessions,
        min(first_offer) AS first_seen,
        max(last_offer) AS last_seen,
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 17),
            groupArraySortedMerge(50)(trace_sample))), 1, 10) AS traces
    FROM by_agent
    GROUP BY service, tool
) AS o
LEFT JOIN calls AS c ON c.service = o.service AND c.tool = o.tool
ORDER BY count DESC, service, tool
