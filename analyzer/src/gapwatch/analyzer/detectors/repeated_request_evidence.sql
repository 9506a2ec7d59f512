-- Returns, per cluster of similar requests (subjects: service, normalized request, cluster number), its runs, sessions and the sessions the agent did not deliver in (a run failed, was rated down or corrected, or the same request came again in the session or from the same user soon after), with wordings, agents, first/last seen and sample traces (undelivered first).
-- Parameters: database (Identifier), since, until (DateTime64(9)), negative_rating, negative_stars, reask_within_s (Float64), subjects (Array(Tuple(String, String, UInt32))).
WITH {subjects:Array(Tuple(String, String, UInt32))} AS subjects,
clustered AS (
    -- the distinct raw texts of the clusters with their cluster: the normalization runs once per
    -- distinct text, and the runs below find their cluster by the raw text
    SELECT service, request_text, norm, subjects[subject].3 AS cluster
    FROM (
        SELECT service, request_text,
            trimBoth(replaceRegexpAll(lowerUTF8(request_text), '[^\\p{L}\\p{N}]+', ' ')) AS norm,
            arrayFirstIndex(s -> s.1 = service AND s.2 = norm, subjects) AS subject
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'agent' AND caller_agent = '' AND request_text != ''
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
        GROUP BY service, request_text
    )
    WHERE subject > 0
),
-- the clusters' raw texts as one lookup: transform() finds a run's cluster by hash, where a join
-- of every run against the texts costs several times more
lookup AS (
    SELECT groupArray(concat(service, '\0', request_text)) AS keys,
        groupArray(cluster) AS clusters, groupArray(norm) AS norms
    FROM clustered
),
runs AS (
    SELECT *,
        transform(key, (SELECT keys FROM lookup), (SELECT clusters FROM lookup),
                  toUInt32(4294967295)) AS cluster,
        transform(key, (SELECT keys FROM lookup), (SELECT norms FROM lookup), '') AS norm
    FROM (
        SELECT service, request_text, agent, timestamp, span_id, trace_id, user_id,
            concat(service, '\0', request_text) AS key,
            if(session_id = '', concat('trace:', trace_id), session_id) AS session,
            outcome != 'ok' AS failed,
            corrections > 0 AS corrected,
            ifNull(feedback_score <= {negative_rating:Float64}
                   OR (feedback_score > 1 AND feedback_score <= {negative_stars:Float64}), false)
                AS rated_down
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type = 'agent' AND caller_agent = '' AND request_text != ''
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    )
    WHERE cluster != 4294967295
),
asked_again AS (
    -- asked again later in the same session: the earlier answers did not do it (every run of a
    -- session's cluster but its last). Sets of the few runs asked again, where a window over
    -- every run of the cluster costs several times more
    SELECT cluster,
        arrayJoin(arrayPopBack(arraySort(groupArray((timestamp, span_id))))).2 AS span_id
    FROM runs
    GROUP BY cluster, session
    HAVING count() > 1
),
reasked_by_user AS (
    -- the same user asking again soon, in another session: only the runs that name a user are
    -- ordered, not every run of the cluster
    SELECT cluster, span_id
    FROM (
        SELECT cluster, span_id, timestamp,
            leadInFrame(toNullable(timestamp)) OVER (PARTITION BY cluster, user_id
                ORDER BY timestamp, span_id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
                AS next_by_user
        FROM runs
        WHERE user_id != ''
    )
    WHERE next_by_user IS NOT NULL
        AND dateDiff('millisecond', timestamp, assumeNotNull(next_by_user))
            <= {reask_within_s:Float64} * 1000
),
judged AS (
    SELECT *, failed OR corrected OR rated_down OR reasked AS undelivered
    FROM (
        SELECT *,
            (cluster, span_id) IN (SELECT cluster, span_id FROM asked_again)
                OR (cluster, span_id) IN (SELECT cluster, span_id FROM reasked_by_user)
                AS reasked
        FROM runs
    )
)
SELECT
    cluster,
    any(service) AS service,
    count() AS count,
    uniqExact(session) AS sessions,
    uniqExactIf(session, undelivered) AS unresolved_sessions,
    uniqExactIf(session, failed) AS failed_sessions,
    uniqExactIf(session, rated_down OR corrected) AS rated_down_sessions,
    uniqExactIf(session, reasked) AS reasked_sessions,
    uniqExactIf(user_id, user_id != '') AS users,
    sumMap([norm], [toUInt64(1)]) AS variants,
    sumMap([agent], [toUInt64(1)]) AS agents,
    -- the latest wording (span id breaks ties), keyed by one sortable string
    argMax(request_text, concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'), span_id)) AS example,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    -- undelivered first, then newest: one sortable string per run (flag, 16 hex digits of the
    -- inverted time, trace id) is far cheaper for groupArraySorted than a tuple
    arraySlice(arrayDistinct(arrayMap(x -> substring(x, 18), groupArraySorted(50)(concat(
        if(undelivered, '0', '1'),
        leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'),
        trace_id)))), 1, 10) AS traces
FROM judged
GROUP BY cluster
ORDER BY cluster
-- the filter on the normalized text stays above the aggregation of raw texts (pushed below it,
-- the normalization would run once per run instead of once per distinct text)
SETTINGS query_plan_filter_push_down = 0
