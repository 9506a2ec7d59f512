-- Returns, per (service, root agent), the tokens of all runs, of failed runs and above the outlier line (factor × the agent's median run), with evidence over the wasteful runs.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_runs (UInt32), outlier_factor (Float64).
WITH runs AS (
    SELECT trace_id, service,
        -- the root agent span: the earliest, its span id breaking ties; its outcome (one of a
        -- fixed set, never a NUL) and failure share one state: fewer bytes per run
        argMinIf(agent, span_order, span_type = 'agent') AS root_agent,
        argMinIf(concat(outcome, '\0', error_fingerprint), span_order, span_type = 'agent')
            AS root_failure,
        -- inference spans hold the usage; an agent span may repeat the total, so it is only
        -- the fallback when a run has no inference spans (no double counting)
        if(sumIf(input_tokens + output_tokens, span_type = 'llm') > 0,
           sumIf(input_tokens + output_tokens, span_type = 'llm'),
           maxIf(input_tokens + output_tokens, span_type = 'agent')) AS tokens,
        -- the greatest of the run's sessions, a span without one counting as 'trace:<id>';
        -- built once per run instead of once per span
        greatest(max(session_id), if(countIf(session_id = '') > 0, concat('trace:', trace_id), ''))
            AS session,
        min(timestamp) AS started
    FROM (
        SELECT trace_id, service, span_type, agent, outcome, error_fingerprint, input_tokens,
            output_tokens, session_id, timestamp,
            -- (time, span id) as one sortable string (16 hex digits of the time, then the span
            -- id): argMin compares it several times faster than the same key as a tuple
            if(span_type = 'agent', concat(leftPad(hex(bitXor(
                toUInt64(toUnixTimestamp64Nano(timestamp)), 9223372036854775808)), 16, '0'),
                span_id), '') AS span_order
        FROM {database:Identifier}.gapwatch_agent_spans
        WHERE span_type IN ('agent', 'llm')
            AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
    )
    GROUP BY trace_id, service
    HAVING root_agent != '' AND tokens > 0
),
marked AS (
    SELECT trace_id, service, root_agent, tokens, session, started,
        substring(root_failure, position(root_failure, '\0') + 1) AS root_error,
        quantileExact(0.5)(tokens) OVER (PARTITION BY service, root_agent) AS median_run_tokens,
        substring(root_failure, 1, position(root_failure, '\0') - 1) != 'ok' AS failed,
        NOT failed AND tokens > {outlier_factor:Float64} * median_run_tokens AS outlier
    FROM runs
)
SELECT
    service, root_agent AS agent,
    count() AS runs,
    sum(tokens) AS total_tokens,
    any(median_run_tokens) AS median_tokens,
    quantileExact(0.95)(tokens) AS p95_tokens,
    countIf(failed) AS failed_runs,
    sumIf(tokens, failed) AS failed_tokens,
    countIf(outlier) AS outlier_runs,
    toUInt64(sumIf(tokens - {outlier_factor:Float64} * median_run_tokens, outlier)) AS outlier_excess,
    countIf(failed OR outlier) AS count,
    uniqExactIf(session, failed OR outlier) AS sessions,
    minIf(started, failed OR outlier) AS first_seen,
    maxIf(started, failed OR outlier) AS last_seen,
    -- most tokens first: one sortable string per run (16 hex digits of the inverted tokens,
    -- then the trace id) is far cheaper for groupArraySorted than a tuple
    arrayMap(x -> substring(x, 17), groupArraySortedIf(10)(
        concat(leftPad(hex(bitNot(tokens)), 16, '0'), trace_id), failed OR outlier)) AS traces,
    sumMapIf([root_error], [toUInt64(1)], failed) AS errors
FROM marked
GROUP BY service, root_agent
HAVING runs >= {min_runs:UInt32} AND count > 0
ORDER BY failed_tokens + outlier_excess DESC, service, agent
