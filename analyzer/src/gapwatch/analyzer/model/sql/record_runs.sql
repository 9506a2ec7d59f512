-- Summarizes the runs of the batch's traces (just assembled into gapwatch_agent_spans) into
-- gapwatch_agent_runs, one row per (service, agent, run); returns nothing. A run's spans are its
-- agent spans and the tool and model calls it owns; delegation spans are the caller's vehicles,
-- not part of the callee's run. The time bound lets the engine skip partitions the batch has no
-- rows in.
-- Parameters: database (Identifier).
INSERT INTO {database:Identifier}.gapwatch_agent_runs (
    timestamp, ended, trace_id, run_id, parent_run_id, service, agent, caller_agent, session_id,
    user_id, outcome, error_fingerprint, agent_version, prompt_version, service_version, spans,
    failed_spans, errors, run_spans, log_duration_sum, log_duration_squares, token_spans,
    token_sum, token_squares, tokens)
SELECT
    started, ended, run_trace, run_id, run_parent, service, agent, run_caller, session,
    run_user,
    if(run_failure = '', 'ok', substring(run_failure, 1, position(run_failure, '\0') - 1)),
    substring(run_failure, position(run_failure, '\0') + 1),
    run_agent_version, run_prompt_version, run_service_version, spans, failed_spans, errors,
    run_spans,
    log_duration_sum, log_duration_squares, token_spans, token_sum, token_squares, tokens
FROM (
    SELECT run_id, service, agent,
        min(timestamp) AS started,
        max(timestamp) AS ended,
        any(trace_id) AS run_trace,
        any(parent_run_id) AS run_parent,
        anyIf(caller_agent, span_type = 'agent') AS run_caller,
        -- the greatest of the run's sessions, a span without one counting as 'trace:<id>'
        greatest(max(session_id),
                 if(countIf(session_id = '') > 0, concat('trace:', any(trace_id)), '')) AS session,
        max(user_id) AS run_user,
        -- outcome and failure of the earliest agent span, as one string: (time, span id) as
        -- 16 hex digits of the time then the span id sorts several times faster than a tuple
        argMinIf(concat(outcome, '\0', error_fingerprint),
                 concat(leftPad(hex(bitXor(toUInt64(toUnixTimestamp64Nano(timestamp)),
                                           9223372036854775808)), 16, '0'), span_id),
                 span_type = 'agent') AS run_failure,
        -- a version set on the run span wins over one a call of the run carries
        if(maxIf(agent_version, span_type = 'agent') != '',
           maxIf(agent_version, span_type = 'agent'), max(agent_version)) AS run_agent_version,
        if(maxIf(prompt_version, span_type = 'agent') != '',
           maxIf(prompt_version, span_type = 'agent'), max(prompt_version)) AS run_prompt_version,
        max(service_version) AS run_service_version,
        count() AS spans,
        countIf(outcome != 'ok') AS failed_spans,
        groupUniqArrayIf(error_fingerprint, outcome != 'ok') AS errors,
        countIf(span_type = 'agent') AS run_spans,
        sumIf(log(toFloat64(duration_ns) + 1), span_type = 'agent') AS log_duration_sum,
        sumIf(pow(log(toFloat64(duration_ns) + 1), 2), span_type = 'agent') AS log_duration_squares,
        countIf(input_tokens + output_tokens > 0) AS token_spans,
        sum(toFloat64(input_tokens + output_tokens)) AS token_sum,
        sum(pow(toFloat64(input_tokens + output_tokens), 2)) AS token_squares,
        -- model calls hold the usage; an agent span may repeat the total, so it is only the
        -- fallback when the run made no model call (no double counting)
        if(sumIf(input_tokens + output_tokens, span_type = 'llm') > 0,
           sumIf(input_tokens + output_tokens, span_type = 'llm'),
           maxIf(input_tokens + output_tokens, span_type = 'agent')) AS tokens
    FROM {database:Identifier}.gapwatch_agent_spans
    WHERE trace_id IN (SELECT trace_id FROM {database:Identifier}.gapwatch_assembly_batch)
        AND timestamp >= (
            SELECT min(timestamp) FROM {database:Identifier}.gapwatch_span_facts
            WHERE trace_id IN (SELECT trace_id FROM {database:Identifier}.gapwatch_assembly_batch))
        AND span_type IN ('agent', 'tool', 'llm') AND agent != '' AND run_id != ''
    GROUP BY service, agent, run_id
)
