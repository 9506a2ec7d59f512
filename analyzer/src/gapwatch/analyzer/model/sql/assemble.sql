-- Stage 2 of the model: assembles the traces of gapwatch_assembly_batch (pending_traces.sql)
-- from gapwatch_span_facts into gapwatch_agent_spans; returns nothing. Rows of a trace assembled
-- before are deleted first (delete_assembled.sql), so re-assembly replaces them.
-- Parameters: database (Identifier), buckets, bucket (UInt32): the batch is split by trace-id
-- hash into buckets, assembled one bucket per call, to bound the memory of one query.
--
-- Per trace, spans are sorted by (start, span id) into arrays and linked by parent index:
--   * the nearest "stop" ancestor of each span (agent, tool or delegation span) and the nearest
--     agent ancestor, by pointer doubling (6 rounds: up to 64 levels between two stops);
--   * runs: an agent span directly under an agent span of the same name is the same run (a
--     workflow wrapper and its invoke_agent); any other agent span starts a run; so do spans
--     only the trace shows to be runs (see "adoptions");
--   * owning run of every span: its nearest agent ancestor's run;
--   * delegations: a tool or delegation span with a run directly under it (or, for a run with
--     nothing above it, holding it in time) is the vehicle of that delegation (caller = its
--     owner, callee = that run); a handoff without one reaches the next run of the trace that is
--     not the caller's (handoff targets are siblings, P2) and counts as a call of the
--     transfer_to_<agent> tool the model was offered;
--   * outcome of a run = its first failing member; of a delegation = its callee run's;
--   * a tool span directly under a tool span of the same name (MCP client under the
--     framework's call, MCP server under the client) is the same call: counted once, on the
--     outermost span, with the first failure of the group;
--   * request of a run = the first request text of its own spans, else of its model calls;
--   * session and user of a span without them = the trace's first.
INSERT INTO {database:Identifier}.gapwatch_agent_spans (
    timestamp, trace_id, span_id, parent_span_id, run_id, parent_run_id, service, span_type,
    operation, span_name, agent, caller_agent, target_agent, tool, tool_call_id,
    delegation_category, outcome, error_type, error_message, error_fingerprint, blocked_reason,
    desired_capability, resource, duration_ns, input_tokens, output_tokens, cached_tokens,
    session_id, user_id, agent_version, prompt_version, service_version, model, input_size,
    input_unit, attempt, arguments_hash, request_text, offered_tools, feedback_score,
    corrections, source)
WITH
pending AS (
    SELECT trace_id
    FROM {database:Identifier}.gapwatch_assembly_batch
    WHERE cityHash64(trace_id) % {buckets:UInt32} = {bucket:UInt32}
),
facts AS (
    SELECT *
    FROM {database:Identifier}.gapwatch_span_facts
    WHERE trace_id IN (SELECT trace_id FROM pending)
    LIMIT 1 BY trace_id, span_id
),
-- one row per trace: its spans sorted by (start, span id) as tuples, then as parallel arrays;
-- each step below is its own level so the arrays it uses are computed once (an alias used twice
-- in one level would be expanded twice)
trees AS (
    SELECT trace_id,
        arraySort(x -> (x.1, x.2), groupArray((
            timestamp, span_id, parent_span_id, span_type, agent, tool, outcome, handoff,
            caller_agent, target_agent, request_text != '', session_id, user_id,
            agent_version, duration_ns, operation, span_name))) AS s
    FROM facts
    GROUP BY trace_id
),
spans AS (
    SELECT trace_id, s,
        arrayMap(x -> x.1, s) AS times, arrayMap(x -> x.2, s) AS ids,
        arrayMap(x -> x.4, s) AS own_types, arrayMap(x -> x.5, s) AS own_names,
        arrayMap(x -> x.6, s) AS tools, arrayMap(x -> x.7, s) AS outcomes,
        arrayMap(x -> x.8, s) AS handoffs, arrayMap(x -> x.9, s) AS callers,
        arrayMap(x -> x.10, s) AS targets, arrayMap(x -> x.11, s) AS has_request,
        arrayMap(x -> x.14, s) AS versions,
        arrayMap(x -> toUnixTimestamp64Nano(x.1) + x.15, s) AS ends,
        arrayMap(x -> indexOf(arrayMap(y -> y.2, s), x.3), s) AS parents,
        arrayFirst(x -> x != '', arrayMap(x -> x.12, s)) AS trace_session,
        arrayFirst(x -> x != '', arrayMap(x -> x.13, s)) AS trace_user
    FROM trees
),
adoptions AS (
    -- runs that only the trace shows: OpenLLMetry-LangGraph runs a sub-agent's work under an
    -- "execute_task <agent>" span beside the (empty) "invoke_agent <agent>" span, its twin; an
    -- OpenInference-LangGraph graph is a CHAIN span at the root or right under a tool span, with
    -- no named agent span directly below it (its "agent" node spans carry no name)
    SELECT *,
        arrayMap(i -> if(own_types[i] = '' AND tupleElement(s[i], 16) = 'execute_task'
                         AND own_names[i] != '',
                         arrayFirstIndex(j -> own_types[j] = 'agent' AND parents[j] = parents[i]
                                              AND own_names[j] = own_names[i] AND j != i, r),
                         0), r) AS twin,
        arrayMap(i -> own_types[i] = '' AND tupleElement(s[i], 16) = 'chain'
                      AND tupleElement(s[i], 17) NOT IN ('', 'LangGraph', 'RunnableSequence')
                      AND (parents[i] = 0 OR own_types[parents[i]] IN ('tool', 'delegation'))
                      AND NOT arrayExists(j -> parents[j] = i AND own_types[j] = 'agent', r), r)
            AS graph_run
    FROM (SELECT *, arrayEnumerate(s) AS r FROM spans)
),
arrays AS (
    SELECT *,
        arrayMap(i -> if(twin[i] > 0 OR graph_run[i], 'agent', own_types[i]), r) AS types,
        arrayMap(i -> if(graph_run[i], tupleElement(s[i], 17), own_names[i]), r) AS names,
        arrayMap(t -> t = 'agent', types) AS is_agent,
        arrayMap(t -> t IN ('agent', 'tool', 'delegation'), types) AS is_stop
    FROM adoptions
),
linked AS (
    -- parent index (0: no parent in the trace), then the nearest stop and the nearest agent
    -- above each span: six pointer-doubling rounds each
    SELECT *,
        arrayMap(x -> if(is_stop[x], x, 0), arrayFold((up, round) -> arrayMap(
            i -> if(up[i] = 0 OR is_stop[up[i]], up[i], up[up[i]]), r), range(6),
            arrayMap(p -> toUInt64(p), parents)))
            AS stop_above,
        arrayMap(x -> if(is_agent[x], x, 0), arrayFold((up, round) -> arrayMap(
            i -> if(up[i] = 0 OR is_agent[up[i]], up[i], up[up[i]]), r), range(6),
            arrayMap(p -> toUInt64(p), parents)))
            AS agent_above
    FROM arrays
),
grouped AS (
    -- inner copies: an agent span right under a same-named agent span is the same run, a tool
    -- span right under a same-named tool span the same call
    SELECT *,
        arrayMap(i -> twin[i] > 0 OR (is_agent[i] AND is_agent[stop_above[i]]
                      AND names[stop_above[i]] = names[i]), r) AS merged,
        arrayMap(i -> types[i] = 'tool' AND types[stop_above[i]] = 'tool'
                      AND tools[stop_above[i]] = tools[i], r) AS duplicate
    FROM linked
),
heads AS (
    SELECT *,
        arrayMap(i -> multiIf(twin[i] > 0, twin[i],
                              NOT merged[i], i,
                              merged[stop_above[i]], stop_above[stop_above[i]],
                              stop_above[i]), r) AS head,
        arrayMap(i -> is_agent[i] AND NOT merged[i], r) AS is_head,
        arrayMap(i -> if(duplicate[i], if(duplicate[stop_above[i]], stop_above[stop_above[i]],
                                          stop_above[i]), i), r) AS call
    FROM grouped
),
runs AS (
    SELECT *,
        arrayMap(i -> if(is_agent[i], head[i], head[agent_above[i]]), r) AS owner,
        arrayMap(i -> head[agent_above[head[i]]], r) AS parent_run,
        -- the tool or delegation span each run started under: its parent, or for a run with
        -- nothing above it the innermost tool span of the trace whose time holds it (OpenLLMetry
        -- hangs an agent called as a tool beside its caller, not under the tool span)
        arrayMap(h -> multiIf(
            NOT is_head[h], 0,
            stop_above[h] > 0, stop_above[h],
            arrayLast(v -> types[v] = 'tool' AND times[v] <= times[h] AND ends[v] >= ends[h]
                           AND v != h, r)), r) AS head_under,
        arrayMap(h -> arrayFirstIndex(j -> is_agent[j] AND head[j] = h AND outcomes[j] != 'ok', r),
                 r) AS run_failure
    FROM heads
),
caller_names AS (
    SELECT *,
        arrayMap(i -> if(callers[i] != '', callers[i], names[owner[i]]), r) AS caller_of,
        -- the span a run's request is read from: its own spans first, then its model calls
        arrayMap(h -> if(is_head[h], arrayFirst(j -> j != 0, arrayConcat(
            arrayMap(j -> if(is_agent[j] AND head[j] = h AND has_request[j], j, 0), r),
            arrayMap(j -> if(types[j] = 'llm' AND owner[j] = h AND has_request[j], j, 0), r))),
            0), r) AS run_request
    FROM runs
),
callees AS (
    -- a handoff's target runs beside it, not under it (P2): the next run that is not the caller's
    SELECT *,
        arrayMap(v -> multiIf(
            types[v] NOT IN ('tool', 'delegation'), 0,
            indexOf(head_under, v) > 0, indexOf(head_under, v),
            handoffs[v], arrayFirstIndex(h -> is_head[h] AND times[h] >= times[v]
                AND h != owner[v] AND names[h] != caller_of[v]
                AND (targets[v] = '' OR names[h] = targets[v]), r),
            0), r) AS callee
    FROM caller_names
),
run_parents AS (
    -- a run reached through a delegation or a handoff has the delegating run as its parent
    SELECT *,
        arrayMap(h -> if(is_head[h] AND indexOf(callee, h) > 0, owner[indexOf(callee, h)],
                         parent_run[h]), r) AS run_parent
    FROM callees
),
failures AS (
    -- the span whose failure a row reports: a run's first failing member, a delegation's
    -- callee run, a call's own or its inner copies' first failure; 0 when all went well
    SELECT *,
        arrayMap(i -> multiIf(
            is_agent[i], run_failure[head[i]],
            callee[i] > 0 AND run_failure[callee[i]] > 0, run_failure[callee[i]],
            outcomes[i] != 'ok', i,
            types[i] = 'tool', arrayFirstIndex(j -> duplicate[j] AND call[j] = i
                                                    AND outcomes[j] != 'ok', r),
            0), r) AS failure
    FROM run_parents
),
assembled AS (
    SELECT trace_id, arrayMap(i -> (
        ids[i],
        -- span_type: a tool span that carried a sub-agent's run is that delegation
        if(callee[i] > 0, 'delegation', types[i]),
        -- agent: the run's own name, the caller of a delegation, else the owning run's agent
        -- (or the span's own attribute when no agent span is above it)
        multiIf(is_agent[i], names[i],
                types[i] = 'delegation' OR callee[i] > 0, caller_of[i],
                names[owner[i]] != '', names[owner[i]], names[i]),
        -- caller_agent: the parent run's agent for a run, the caller for a delegation
        multiIf(is_agent[i], names[run_parent[i]],
                types[i] = 'delegation' OR callee[i] > 0, caller_of[i], ''),
        -- target_agent
        if(types[i] = 'delegation' OR callee[i] > 0,
           if(targets[i] != '', targets[i], names[callee[i]]), ''),
        ids[owner[i]],
        ids[run_parent[owner[i]]],
        -- the span whose failure the row reports ('' when it went well), and the span its
        -- request text is read from
        ids[failure[i]],
        ids[if(is_agent[i], run_request[i], if(has_request[i], i, 0))],
        if(tupleElement(s[i], 12) != '', tupleElement(s[i], 12), trace_session),
        if(tupleElement(s[i], 13) != '', tupleElement(s[i], 13), trace_user),
        multiIf(versions[i] != '', versions[i],
                is_agent[i], arrayFirst(v -> v != '', arrayMap(
                    j -> if(is_agent[j] AND head[j] = i, versions[j], ''), r)),
                types[i] IN ('tool', 'llm'), versions[owner[i]], ''),
        -- tool: a handoff is a call of the tool the model was offered for it; the OpenAI Agents
        -- SDK names that tool transfer_to_<agent> (its function-style spelling of the name)
        if(handoffs[i] AND (tools[i] = '' OR startsWith(tools[i], 'handoff_to_')),
           replaceRegexpAll(lower(concat('transfer_to_',
                                         if(targets[i] != '', targets[i], names[callee[i]]))),
                            '[^a-z0-9_]', '_'),
           tools[i])
        -- every classified span except the inner copies of a run or of a tool call
        ), arrayFilter(i -> types[i] != '' AND NOT merged[i] AND NOT duplicate[i], r)) AS rows
    FROM failures
),
rows AS (
    SELECT trace_id, row.1 AS span_id, row.2 AS span_type, row.3 AS agent,
        row.4 AS caller_agent, row.5 AS target_agent, row.6 AS run_id, row.7 AS parent_run_id,
        row.8 AS failure_span, row.9 AS request_span, row.10 AS session_id, row.11 AS user_id,
        row.12 AS agent_version, row.13 AS tool
    FROM assembled
    ARRAY JOIN rows AS row
)
SELECT
    f.timestamp, f.trace_id, f.span_id, f.parent_span_id, r.run_id, r.parent_run_id, f.service,
    r.span_type, f.operation, f.span_name, r.agent, r.caller_agent, r.target_agent, r.tool,
    f.tool_call_id, f.delegation_category,
    if(r.failure_span = '', 'ok', e.outcome), e.error_type, e.error_message, e.error_fingerprint,
    e.blocked_reason, if(e.desired_capability != '', e.desired_capability, f.desired_capability),
    f.resource, f.duration_ns, f.input_tokens, f.output_tokens, f.cached_tokens,
    r.session_id, r.user_id, r.agent_version, f.prompt_version, f.service_version, f.model,
    f.input_size, f.input_unit, f.attempt, f.arguments_hash, q.request_text, f.offered_tools,
    f.feedback_score, f.corrections, f.source
FROM facts AS f
INNER JOIN rows AS r ON f.trace_id = r.trace_id AND f.span_id = r.span_id
-- failures and request texts come from the span they were found on: only failing spans and
-- spans with a request are joined, instead of carrying every message through the arrays
LEFT JOIN (
    SELECT trace_id, span_id, outcome, error_type, error_message, error_fingerprint,
        blocked_reason, desired_capability
    FROM facts WHERE outcome != 'ok'
) AS e ON e.trace_id = r.trace_id AND e.span_id = r.failure_span
LEFT JOIN (
    SELECT trace_id, span_id, request_text FROM facts WHERE request_text != ''
) AS q ON q.trace_id = r.trace_id AND q.span_id = r.request_span
SETTINGS join_use_nulls = 0
