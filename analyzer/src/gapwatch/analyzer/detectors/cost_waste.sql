-- Returns, per (service, agent that spent the tokens), the tokens of all its runs, of failed runs that cost more than its successful ones, and above the outlier line (factor × the median successful run), with evidence over the wasteful runs.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_runs (UInt32), outlier_factor, failed_cost_factor (Float64).
WITH runs AS (
    -- one row per agent run: the agent owning the model calls spent their tokens, whether it
    -- is the trace's root or a sub-agent far below it
    SELECT any(trace_id) AS run_trace, service, agent,
        -- its outcome (one of a fixed set, never a NUL) and failure share one state, from the
        -- agent's earliest run span in the trace; a run seen only through its model calls is ok
        argMinIf(concat(outcome, '\0', error_fingerprint), span_order, span_type = 'agent')
            AS run_failure,
        -- inference spans hold the usage; an agent span may repeat the total, so it is only
        -- the fallback when a run has no inference spans (no double counting)
        if(sumIf(input_tokens + output_tokens, span_type = 'llm') > 0,
           sumIf(input_tokens + output_tokens, span_type = 'llm'),
           maxIf(input_tokens + output_tokens, span_type = 'agent')) AS tokens,
        -- the greatest of the run's sessions, a span without one counting as 'trace:<id>';
        -- built once per run instead of once per span
        greatest(max(session_id), if(countIf(session_id = '') > 0, concat('trace:', any(trace_id)), ''))
            AS session,
        min(timestamp) AS started
    FROM (
        SELECT trace_id, service, span_type, agent, outcome, error_fingerprint, input_tokens,
            output_tokens, session_id, timestamp,
            -- the run a row belongs to; rows from before run ids fall back to (trace, agent)
            if(run_id != '', run_id, concat(trace_id, ':', agent)) AS run,
            -- (time, span id) as one sortable string (16 hex digits of the time, then the span
            -- id): argMin compares it several times faster than the same key as a tuple
            if(span_type = 'agent', concat(leftPad(hex(bitXor(
                toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'),
                span_id), '') AS span_order
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type IN ('agent', 'llm') AND agent != ''
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    )
    GROUP BY service, agent, run
    HAVING tokens > 0
),
judged AS (
    SELECT run_trace AS trace_id, service, agent, tokens, session, started,
        substring(run_failure, position(run_failure, '\0') + 1) AS run_error,
        run_failure != '' AND substring(run_failure, 1, position(run_failure, '\0') - 1) != 'ok'
            AS failed
    FROM runs
),
marked AS (
    SELECT *,
        quantileExactIf(0.5)(tokens, NOT failed) OVER (PARTITION BY service, agent)
            AS median_ok_tokens,
        quantileExactIf(0.5)(tokens, failed) OVER (PARTITION BY service, agent)
            AS median_failed_tokens
    FROM judged
),
wasteful AS (
    SELECT *,
        -- failing runs that keep going: they cost more than the agent's successful runs
        failed AND median_failed_tokens >= {failed_cost_factor:Float64} * median_ok_tokens
            AS costly_failure,
        NOT failed AND tokens > {outlier_factor:Float64} * median_ok_tokens AS outlier
    FROM marked
)
SELECT
    service, agent,
    count() AS runs,
    sum(tokens) AS total_tokens,
    any(median_ok_tokens) AS median_tokens,
    any(median_failed_tokens) AS median_failed_tokens,
    quantileExact(0.95)(tokens) AS p95_tokens,
    countIf(costly_failure) AS failed_runs,
    sumIf(tokens, costly_failure) AS failed_tokens,
    countIf(failed) AS all_failed_runs,
    countIf(outlier) AS outlier_runs,
    toUInt64(sumIf(tokens - {outlier_factor:Float64} * median_ok_tokens, outlier)) AS outlier_excess,
    countIf(costly_failure OR outlier) AS count,
    uniqExactIf(session, costly_failure OR outlier) AS sessions,
    minIf(started, costly_failure OR outlier) AS first_seen,
    maxIf(started, costly_failure OR outlier) AS last_seen,
    -- most tokens first: one sortable string per run (16 hex digits of the inverted tokens,
    -- then the trace id) is far cheaper for groupArraySorted than a tuple
    arrayMap(x -> substring(x, 17), groupArraySortedIf(10)(
        concat(leftPad(hex(bitNot(tokens)), 16, '0'), trace_id), costly_failure OR outlier)) AS traces,
    sumMapIf([run_error], [toUInt64(1)], costly_failure) AS errors
FROM wasteful
GROUP BY service, agent
HAVING runs >= {min_runs:UInt32} AND count > 0
ORDER BY failed_tokens + outlier_excess DESC, service, agent
