-- Returns, per (service, agent that spent the tokens), the tokens of all its runs, of failed runs that cost more than its successful ones, and above the outlier line (factor × the median successful run), with evidence over the wasteful runs.
-- Parameters: database (Identifier), since, until (DateTime64(9)), min_runs (UInt32), outlier_factor, failed_cost_factor (Float64).
WITH judged AS (
    -- one row per agent run, summarized by trace assembly (gapwatch_agent_runs): the agent
    -- owning the model calls spent their tokens, whether it is the trace's root or a sub-agent
    -- far below it; outcome and failure are those of the run's earliest agent span
    SELECT trace_id, service, agent, tokens, session_id AS session, timestamp AS started,
        error_fingerprint AS run_error, outcome != 'ok' AS failed
    FROM {database:Identifier}.gapwatch_agent_runs
    WHERE tokens > 0 AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
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
