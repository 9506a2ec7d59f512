-- Returns per (service, agent, version kind, version) the agent's own runs, failed runs, spans, log-latency and token moments and runs failing in each failure mode, ordered by first seen: the screening pass (narrow columns only).
-- Parameters: database (Identifier), since, until (DateTime64(9)).
-- Runs come summarized by trace assembly (gapwatch_agent_runs): an agent's run spans and the
-- tool and model calls it owns, each under the version of the run; a delegation span that merely
-- carries a version attribute (the caller's, often) is not a run of the agent it invokes. The
-- moments are sums per run, so runs merge into versions in one pass.
SELECT
    service, agent, kv.1 AS version_kind, kv.2 AS version,
    -- runs, and runs with a failure of their own (the run, or a tool or model call it made)
    count() AS calls,
    countIf(failed_spans > 0) AS count,
    sum(spans) AS spans,
    sum(run_spans) AS runs,
    if(runs > 0, sum(log_duration_sum) / runs, 0) AS log_latency_mean,
    if(runs > 1,
       greatest(sum(log_duration_squares) - runs * pow(log_latency_mean, 2), 0) / (runs - 1), 0)
        AS log_latency_var,
    sum(token_spans) AS token_spans,
    if(token_spans > 0, sum(token_sum) / token_spans, 0) AS tokens_mean,
    if(token_spans > 1,
       greatest(sum(token_squares) - token_spans * pow(tokens_mean, 2), 0) / (token_spans - 1), 0)
        AS tokens_var,
    min(timestamp) AS first_seen,
    max(ended) AS last_seen,
    -- each failure mode once per run: a run failing four times the same way is one failed run
    -- of that mode
    sumMap(errors, arrayMap(e -> toUInt64(1), errors)) AS errors
FROM {database:Identifier}.gapwatch_agent_runs
ARRAY JOIN [('agent_version', agent_version), ('prompt_version', prompt_version),
            ('service_version', service_version)] AS kv
WHERE kv.2 != '' AND timestamp >= {since:DateTime64(9)} AND timestamp < {until:DateTime64(9)}
GROUP BY service, agent, version_kind, version
ORDER BY service, agent, version_kind, first_seen, version
