-- Returns the most frequent distinct (normalized) requests with their sessions, unresolved sessions and evidence, each with the other requests within the similarity distance.
-- Parameters: database (Identifier), since, until (DateTime64(9)), max_texts (UInt32), max_distance, negative_rating, negative_stars (Float64).
WITH texts AS (
    -- one row per distinct (service, request text, agent) first: the normalization and the
    -- per-agent counts then run once per distinct text instead of once per run
    SELECT service, request_text, agent,
        count() AS runs,
        max((timestamp, span_id)) AS latest,
        groupUniqArrayState(session) AS session_state,
        groupUniqArrayIfState(session, unresolved) AS unresolved_state,
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
requests AS (
    SELECT service, norm,
        sum(runs) AS count,
        argMax(request_text, latest) AS example,
        sumMap([agent], [runs]) AS agents,
        arraySort(groupUniqArrayMerge(session_state)) AS session_ids,
        arraySort(groupUniqArrayIfMerge(unresolved_state)) AS unresolved_ids,
        min(first_run) AS first_seen,
        max(last_run) AS last_seen,
        arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18),
            groupArraySortedMerge(50)(trace_state))), 1, 10) AS traces
    FROM (
        SELECT *, trimBoth(replaceRegexpAll(lowerUTF8(request_text), '[^\\p{L}\\p{N}]+', ' ')) AS norm
        FROM texts
    )
    WHERE norm != ''
    GROUP BY service, norm
    ORDER BY count DESC, norm
    LIMIT {max_texts:UInt32}
)
SELECT *,
    -- the other kept requests of the same service within the distance; a window over the kept
    -- rows, so the requests above are computed once
    arraySort(arrayFilter(other -> other != norm
                              AND ngramDistanceUTF8(norm, other) <= {max_distance:Float64},
                          groupArray(norm) OVER (PARTITION BY service))) AS similar
FROM requests
ORDER BY service, norm
