-- Returns the most frequent distinct (normalized) requests users made of user-facing agent runs, each with the other kept requests within the similarity distance, and the fleet's runs and runs that went badly (failed, rated down, corrected): the screening pass the clusters are built from.
-- Parameters: database (Identifier), since, until (DateTime64(9)), max_texts (UInt32), max_distance, negative_rating, negative_stars (Float64).
WITH texts AS (
    -- one row per distinct raw request text first: the normalization then runs once per text
    -- instead of once per run. Only runs a user asked for: a run with a calling agent is a
    -- delegation's work, whose task text is the caller's, not a user's request
    SELECT service, request_text, count() AS runs,
        countIf(outcome != 'ok' OR corrections > 0
                OR ifNull(feedback_score <= {negative_rating:Float64}
                          OR (feedback_score > 1 AND feedback_score <= {negative_stars:Float64}),
                          false)) AS bad_runs
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE span_type = 'agent' AND caller_agent = '' AND request_text != ''
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    GROUP BY service, request_text
),
requests AS (
    SELECT service, norm, sum(runs) AS count,
        -- over every request, not only the kept ones: the fleet's own rate of runs gone badly
        sum(sum(runs)) OVER () AS fleet_runs,
        sum(sum(bad_runs)) OVER () AS fleet_bad_runs
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
-- the filter on the normalized text stays above the aggregation of raw texts (pushed below it,
-- the normalization would run once per run instead of once per distinct text)
SETTINGS query_plan_filter_push_down = 0
