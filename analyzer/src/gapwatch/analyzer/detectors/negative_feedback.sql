-- Returns per (service, span type, agent, tool) the rated spans, negative ratings and hand corrections, with evidence over the negative or corrected spans.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_count, min_sessions, max_findings (UInt32), negative_rating, negative_stars, min_negative_rate (Float64).
SELECT
    service, span_type, agent, tool,
    countIf(feedback_score IS NOT NULL) AS rated,
    countIf(negative) AS negatives,
    countIf(corrections > 0) AS corrected,
    sum(corrections) AS correction_events,
    avgIf(assumeNotNull(feedback_score), feedback_score IS NOT NULL) AS mean_rating,
    countIf(negative OR corrections > 0) AS count,
    uniqExactIf(if(session_id = '', concat('trace:', trace_id), session_id), negative OR corrections > 0)
        AS sessions,
    minIf(timestamp, negative OR corrections > 0) AS first_seen,
    maxIf(timestamp, negative OR corrections > 0) AS last_seen,
    -- newest first: one sortable string per span (16 hex digits of the inverted time, then the
    -- trace id) is far cheaper for groupArraySorted than a tuple
    arrayMap(x -> substring(x, 17), groupArraySortedIf(10)(
        concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775807)), 16, '0'), trace_id), negative OR corrections > 0)) AS traces
FROM (
    SELECT *,
        ifNull(feedback_score <= {negative_rating:Float64}
               OR (feedback_score > 1 AND feedback_score <= {negative_stars:Float64}), false)
            AS negative
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE (feedback_score IS NOT NULL OR corrections > 0)
        AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
)
GROUP BY service, span_type, agent, tool
HAVING count >= {min_count:UInt32} AND sessions >= {min_sessions:UInt32}
    AND (rated = 0 OR negatives + corrected >= rated * {min_negative_rate:Float64})
ORDER BY count DESC, service, span_type, agent, tool
LIMIT {max_findings:UInt32}
