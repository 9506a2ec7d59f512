-- Returns the most frequent distinct (normalized) requests with their sessions, unresolved sessions and evidence, each with the other requests within the similarity distance.
-- Parameters: database (Identifier), since, until (DateTime64(9)), max_texts (UInt32), max_distance, negative_rating, negative_stars (Float64).
WITH requests AS (
    SELECT service, norm,
        count() AS count,
        argMax(request_text, (timestamp, span_id)) AS example,
        sumMap([agent], [toUInt64(1)]) AS agents,
        arraySort(groupUniqArray(session)) AS session_ids,
        arraySort(groupUniqArrayIf(session, unresolved)) AS unresolved_ids,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        arraySlice(arrayDistinct(arrayMap(x -> x.3, groupArraySorted(50)(
            (NOT unresolved, -toUnixTimestamp64Nano(timestamp), trace_id)))), 1, 10) AS traces
    FROM (
        SELECT *,
            trimBoth(replaceRegexpAll(lowerUTF8(request_text), '[^\\p{L}\\p{N}]+', ' ')) AS norm,
            if(session_id = '', concat('trace:', trace_id), session_id) AS session,
            outcome != 'ok' OR corrections > 0
                OR feedback_score <= {negative_rating:Float64}
                OR (feedback_score > 1 AND feedback_score <= {negative_stars:Float64}) AS unresolved
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'agent' AND request_text != ''
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    )
    WHERE norm != ''
    GROUP BY service, norm
    ORDER BY count DESC, norm
    LIMIT {max_texts:UInt32}
)
SELECT r.*, n.similar AS similar
FROM requests AS r
LEFT JOIN (
    SELECT a.service AS service, a.norm AS norm, arraySort(groupArray(b.norm)) AS similar
    FROM requests AS a
    INNER JOIN requests AS b ON a.service = b.service
    WHERE a.norm != b.norm AND ngramDistanceUTF8(a.norm, b.norm) <= {max_distance:Float64}
    GROUP BY a.service, a.norm
) AS n ON n.service = r.service AND n.norm = r.norm
ORDER BY r.service, r.norm
