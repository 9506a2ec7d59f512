-- Returns, for the clustered requests only (subjects: service, normalized request, cluster number), each request's runs, latest wording, agents, first/last seen and sample traces (unresolved first), with the distinct sessions and unresolved sessions of its whole cluster.
-- Parameters: database (Identifier), since, until (DateTime64(9)), negative_rating, negative_stars (Float64), subjects (Array(Tuple(String, String, UInt32))).
WITH {subjects:Array(Tuple(String, String, UInt32))} AS subjects,
texts AS (
    -- one row per distinct (service, raw text, agent) first: the normalization below then runs
    -- once per distinct text, and sessions stay aggregate states until the cluster merges them
    SELECT service, request_text, agent,
        count() AS runs,
        -- the latest run (span id breaks ties) as one sortable string: time, then span id
        max(concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'),
                   span_id)) AS latest,
        uniqExactState(session) AS session_state,
        uniqExactIfState(session, ifNull(unresolved, false)) AS unresolved_state,
        min(timestamp) AS first_run,
        max(timestamp) AS last_run,
        -- unresolved first, then newest: one sortable string per run (flag, 16 hex digits of
        -- the inverted time, trace id) is far cheaper for groupArraySorted than a tuple
        groupArraySortedState(50)(concat(
            if(ifNull(unresolved, false), '0', '1'),
            leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'),
            trace_id)) AS trace_state
    FROM (
        SELECT service, request_text, agent, timestamp, span_id, trace_id,
            if(session_id = '', concat('trace:', trace_id), session_id) AS session,
            outcome != 'ok' OR corrections > 0
                OR feedback_score <= {negative_rating:Float64}
                OR (feedback_score > 1 AND feedback_score <= {negative_stars:Float64}) AS unresolved
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'agent' AND request_text != ''
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    )
    GROUP BY service, request_text, agent
),
members AS (
    SELECT service, norm, any(subjects[subject].3) AS cluster,
        sum(runs) AS count,
        argMax(request_text, latest) AS example,
        sumMap([agent], [runs]) AS agents,
        min(first_run) AS first_seen,
        max(last_run) AS last_seen,
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18),
            groupArraySortedMerge(50)(trace_state))), 1, 10) AS traces,
        uniqExactMergeState(session_state) AS member_sessions,
        uniqExactIfMergeState(unresolved_state) AS member_unresolved
    FROM (
        SELECT *,
            trimBoth(replaceRegexpAll(lowerUTF8(request_text), '[^\\p{L}\\p{N}]+', ' ')) AS norm,
            arrayFirstIndex(s -> s.1 = service AND s.2 = norm, subjects) AS subject
        FROM texts
    )
    WHERE subject > 0
    GROUP BY service, norm
)
SELECT service, norm, cluster, count, example, agents, first_seen, last_seen, traces,
    -- distinct over the whole cluster: the sessions' states merged across its requests
    uniqExactMerge(member_sessions) OVER (PARTITION BY cluster) AS sessions,
    uniqExactIfMerge(member_unresolved) OVER (PARTITION BY cluster) AS unresolved_sessions
FROM members
ORDER BY cluster, service, norm
-- the filters on the normalized text stay above the aggregation of raw texts (pushed below it,
-- the normalization would run once per run instead of once per distinct text)
SETTINGS query_plan_filter_push_down = 0
