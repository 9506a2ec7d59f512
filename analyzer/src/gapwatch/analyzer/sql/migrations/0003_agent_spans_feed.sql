-- Fills gapwatch_agent_spans from otel_traces: live through two views, and once from the rows
-- already stored. Placeholders: database, on_cluster.
--
-- Why a Null "feed" table in between: the normalization SELECT below is written once. The view
-- on otel_traces only forwards raw columns into the feed; the view on the feed normalizes. The
-- backfill at the end inserts the existing rows into the same feed, so live spans and old spans
-- go through the very same SELECT. A Null table stores nothing; the extra hop only passes blocks.
CREATE TABLE IF NOT EXISTS `${database}`.`gapwatch_span_feed` ${on_cluster} (
    `Timestamp` DateTime64(9),
    `TraceId` String,
    `SpanId` String,
    `ParentSpanId` String,
    `SpanName` LowCardinality(String),
    `SpanKind` LowCardinality(String),
    `ServiceName` LowCardinality(String),
    `ResourceAttributes` Map(LowCardinality(String), String),
    `SpanAttributes` Map(LowCardinality(String), String),
    `Duration` UInt64,
    `StatusCode` LowCardinality(String),
    `StatusMessage` String,
    `Events.Timestamp` Array(DateTime64(9)),
    `Events.Name` Array(LowCardinality(String)),
    `Events.Attributes` Array(Map(LowCardinality(String), String))
) ENGINE = Null
;
-- The normalization. Classification order follows reference/genai-semconv.md §9.3: GenAI
-- operation name, then MCP, OpenInference, OpenLLMetry, then span-name heuristics.
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_agent_spans_mv` ${on_cluster}
TO `${database}`.`gapwatch_agent_spans` AS
WITH
    SpanAttributes AS a,
    -- current ("Client", "Error") and legacy ("SPAN_KIND_CLIENT", "STATUS_CODE_ERROR") spellings
    lower(replaceOne(SpanKind, 'SPAN_KIND_', '')) AS kind,
    lower(replaceOne(StatusCode, 'STATUS_CODE_', '')) AS status,
    a['gen_ai.operation.name'] AS genai_op,
    a['mcp.method.name'] AS mcp_method,
    upper(a['openinference.span.kind']) AS oi_kind,
    lower(a['traceloop.span.kind']) AS tl_kind,
    lower(a['llm.request.type']) AS tl_request_type,
    multiIf(
        startsWith(SpanName, 'invoke_agent'), 'invoke_agent',
        startsWith(SpanName, 'execute_tool'), 'execute_tool',
        startsWith(SpanName, 'invoke_workflow'), 'invoke_workflow',
        match(SpanName, '^(chat|text_completion|generate_content|embeddings) '),
            splitByChar(' ', SpanName)[1],
        endsWith(SpanName, '.agent'), 'invoke_agent',
        endsWith(SpanName, '.tool'), 'execute_tool',
        endsWith(SpanName, '.workflow'), 'invoke_workflow',
        '') AS name_op,
    multiIf(
        genai_op != '', genai_op,
        mcp_method = 'tools/call', 'execute_tool',
        oi_kind = 'AGENT', 'invoke_agent',
        oi_kind = 'TOOL', 'execute_tool',
        oi_kind = 'LLM', if(a['llm.prompts'] != '', 'text_completion', 'chat'),
        oi_kind = 'EMBEDDING', 'embeddings',
        oi_kind = 'RETRIEVER', 'retrieval',
        oi_kind != '', lower(oi_kind),
        tl_kind = 'agent', 'invoke_agent',
        tl_kind IN ('tool', 'handoff'), 'execute_tool',
        tl_kind = 'workflow', 'invoke_workflow',
        tl_kind = 'task', 'execute_task',
        tl_request_type = 'completion', 'text_completion',
        tl_request_type = 'embedding', 'embeddings',
        tl_request_type != '', tl_request_type,
        a['gen_ai.system'] != '' OR a['gen_ai.provider.name'] != '', 'chat',
        name_op) AS op,
    multiIf(
        mcp_method != '', 'mcp',
        genai_op != '', 'genai',
        oi_kind != '', 'openinference',
        tl_kind != '' OR tl_request_type != '', 'openllmetry',
        a['gen_ai.system'] != '' OR a['gen_ai.provider.name'] != '', 'genai',
        'name') AS src,
    a['gen_ai.transfer.target.name'] AS transfer_target,
    multiIf(
        a['gen_ai.agent.name'] != '', a['gen_ai.agent.name'],
        a['agent.name'] != '', a['agent.name'],
        tl_kind IN ('agent', 'workflow') AND a['traceloop.entity.name'] != '',
            a['traceloop.entity.name'],
        op = 'invoke_workflow' AND a['gen_ai.workflow.name'] != '', a['gen_ai.workflow.name'],
        startsWith(SpanName, 'invoke_agent '), substring(SpanName, 14),
        startsWith(SpanName, 'invoke_workflow '), substring(SpanName, 17),
        endsWith(SpanName, '.agent'), substring(SpanName, 1, length(SpanName) - 6),
        '') AS agent_name,
    multiIf(
        a['gen_ai.tool.name'] != '', a['gen_ai.tool.name'],
        a['tool.name'] != '', a['tool.name'],
        tl_kind IN ('tool', 'handoff') AND a['traceloop.entity.name'] != '',
            a['traceloop.entity.name'],
        mcp_method = 'tools/call' AND position(SpanName, ' ') > 0,
            substring(SpanName, position(SpanName, ' ') + 1),
        startsWith(SpanName, 'execute_tool '), splitByChar(' ', SpanName)[2],
        endsWith(SpanName, '.tool'), substring(SpanName, 1, length(SpanName) - 5),
        '') AS tool_name,
    multiIf(
        op = 'invoke_agent' AND kind = 'client', 'delegation',
        transfer_target != '' OR tl_kind = 'handoff', 'delegation',
        op IN ('invoke_agent', 'invoke_workflow'), 'agent',
        op = 'execute_tool', 'tool',
        op IN ('chat', 'text_completion', 'generate_content', 'embeddings'), 'llm',
        '') AS type,
    -- tool arguments and results (opt-in content) under each convention's name
    multiIf(
        a['gen_ai.tool.call.arguments'] != '', a['gen_ai.tool.call.arguments'],
        oi_kind = 'TOOL', a['input.value'],
        tl_kind = 'tool', a['traceloop.entity.input'],
        '') AS arguments,
    multiIf(
        a['gen_ai.tool.call.result'] != '', a['gen_ai.tool.call.result'],
        oi_kind = 'TOOL', a['output.value'],
        tl_kind = 'tool', a['traceloop.entity.output'],
        '') AS result,
    -- the first recorded exception, as the SDK's record_exception writes it
    `Events.Attributes`[indexOf(`Events.Name`, 'exception')] AS exception,
    `Events.Attributes`[indexOf(`Events.Name`, 'gapwatch.blocked')] AS blocked_event,
    `Events.Attributes`[indexOf(`Events.Name`, 'gapwatch.feedback')] AS feedback_event,
    exception['exception.type'] AS exception_type,
    exception['exception.message'] AS exception_message,
    a['error.type'] AS attr_error_type,
    multiIf(StatusMessage != '', StatusMessage, exception_message != '', exception_message, '')
        AS raw_message,
    multiIf(
        a['gapwatch.blocked.reason'] != '', a['gapwatch.blocked.reason'],
        blocked_event['gapwatch.blocked.reason'] != '', blocked_event['gapwatch.blocked.reason'],
        '') AS explicit_blocked_reason,
    lower(a['gapwatch.tool.outcome']) AS explicit_outcome,
    -- a handled exception on a span whose status says OK is not a failure
    status = 'error' OR attr_error_type != ''
        OR (has(`Events.Name`, 'exception') AND status != 'ok') AS failed,
    lower(concat(attr_error_type, ' ', exception_type, ' ', raw_message)) AS failure_text,
    match(failure_text, 'time[d]?[ _-]?out|deadline[ _-]?exceeded|etimedout') AS looks_timeout,
    match(failure_text, concat(
        'permission|forbidden|unauthori[sz]ed|access[ _-]?denied|not permitted|not allowed|',
        'eacces|eperm|\\bblocked\\b|denied by|polic(y|ies) (violation|denied|refus)|\\b403\\b'))
        AS looks_blocked,
    -- an error payload returned as a normal result (MCP isError, {"error": …}, success: false)
    result != '' AND (
        match(result, '(?i)^\\s*\\{\\s*"(error|errors|error_message|err)"\\s*:\\s*[^n\\s]')
        OR match(result, '(?i)"is_?error"\\s*:\\s*true')
        OR match(result, '(?i)"(status|state)"\\s*:\\s*"(error|failed|failure)"')
        OR match(result, '(?i)"(ok|success)"\\s*:\\s*false')
        OR match(result, '(?i)^\\s*"?(error|exception|traceback)\\b')) AS looks_soft_error,
    multiIf(
        explicit_outcome IN ('ok', 'error', 'soft_error', 'blocked', 'timeout'), explicit_outcome,
        explicit_blocked_reason != '' OR has(`Events.Name`, 'gapwatch.blocked'), 'blocked',
        failed AND looks_timeout, 'timeout',
        failed AND looks_blocked, 'blocked',
        failed, 'error',
        position(a['gen_ai.response.finish_reasons'], '"error"') > 0, 'error',
        looks_soft_error, 'soft_error',
        'ok') AS classified,
    substringUTF8(multiIf(
        classified = 'ok', '',
        raw_message != '', raw_message,
        explicit_blocked_reason != '', explicit_blocked_reason,
        classified = 'soft_error', multiIf(
            JSONExtractString(result, 'error') != '', JSONExtractString(result, 'error'),
            JSONExtractString(result, 'error', 'message') != '',
                JSONExtractString(result, 'error', 'message'),
            JSONExtractString(result, 'content', 1, 'text') != '',
                JSONExtractString(result, 'content', 1, 'text'),
            JSONExtractString(result, 'message') != '', JSONExtractString(result, 'message'),
            result),
        ''), 1, 1024) AS message,
    -- error fingerprint: mask what varies between occurrences of the same error
    -- JSON keys name the failure, so they stay; quoted values are masked
    replaceRegexpAll(replaceRegexpAll(message, '"([A-Za-z_][A-Za-z0-9_]{0,40})"\\s*:', '\\1:'),
        '"[^"]*"|\'[^\']*\'|`[^`]*`', '<str>') AS fp1,
    replaceRegexpAll(fp1, '[A-Za-z][A-Za-z0-9+.-]*://[^\\s,;)]+', '<url>') AS fp2,
    replaceRegexpAll(fp2,
        '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}', '<id>')
        AS fp3,
    replaceRegexpAll(fp3,
        '[A-Za-z]:\\\\[^\\s,;:]+|[A-Za-z0-9_.~@%+-]*(/[A-Za-z0-9_.~@%+-]+)+/?', '<path>') AS fp4,
    replaceRegexpAll(fp4, '\\b(0x[0-9a-fA-F]+|[0-9a-fA-F]{12,})\\b', '<hex>') AS fp5,
    replaceRegexpAll(fp5, '\\b[A-Za-z]+[_-][A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*\\b', '<id>') AS fp6,
    replaceRegexpAll(fp6, '[0-9]+(\\.[0-9]+)?', '<n>') AS fp7,
    trimBoth(replaceRegexpAll(fp7, '\\s+', ' ')) AS fingerprint,
    multiIf(
        a['gapwatch.desired_capability'] != '', a['gapwatch.desired_capability'],
        blocked_event['gapwatch.desired_capability'] != '',
            blocked_event['gapwatch.desired_capability'],
        '') AS capability,
    -- what a tool call acted on: a path/URL argument, else a path in the refusal message
    if(type = 'tool', arrayFirst(x -> x != '', [
        JSONExtractString(arguments, 'path'), JSONExtractString(arguments, 'file_path'),
        JSONExtractString(arguments, 'filepath'), JSONExtractString(arguments, 'file'),
        JSONExtractString(arguments, 'filename'), JSONExtractString(arguments, 'directory'),
        JSONExtractString(arguments, 'url'), JSONExtractString(arguments, 'uri'),
        JSONExtractString(arguments, 'resource'), JSONExtractString(arguments, 'target'),
        if(classified = 'blocked',
            extract(raw_message, '([A-Za-z0-9_.~@-]*/[A-Za-z0-9_./~@-]+)'), '')]), '')
        AS acted_on,
    -- the user's request: explicit task text, else the agent's input under each convention
    if(type IN ('agent', 'delegation'), multiIf(
        a['gapwatch.task'] != '', a['gapwatch.task'],
        oi_kind IN ('AGENT', 'CHAIN'), a['input.value'],
        tl_kind IN ('agent', 'workflow'), a['traceloop.entity.input'],
        a['gen_ai.input.messages'] != '', arrayStringConcat(arrayMap(
            part -> JSONExtractString(part, 'content'),
            JSONExtractArrayRaw(arrayLast(
                m -> JSONExtractString(m, 'role') = 'user',
                JSONExtractArrayRaw(a['gen_ai.input.messages'])), 'parts')), ' '),
        ''), a['gapwatch.task']) AS request,
    arrayDistinct(arrayFilter(x -> x != '', arrayConcat(
        arrayMap(d -> if(JSONExtractString(d, 'name') != '', JSONExtractString(d, 'name'),
                         JSONExtractString(d, 'function', 'name')),
                 JSONExtractArrayRaw(a['gen_ai.tool.definitions'])),
        arrayMap(k -> if(JSONExtractString(a[k], 'name') != '', JSONExtractString(a[k], 'name'),
                         JSONExtractString(a[k], 'function', 'name')),
                 arrayFilter(k -> match(k, '^llm\\.tools\\.[0-9]+\\.tool\\.json_schema$$'),
                             mapKeys(a))),
        arrayMap(k -> a[k],
                 arrayFilter(k -> match(k, '^llm\\.request\\.functions\\.[0-9]+\\.name$$'),
                             mapKeys(a)))))) AS offered
SELECT
    Timestamp AS timestamp,
    TraceId AS trace_id,
    SpanId AS span_id,
    ParentSpanId AS parent_span_id,
    ServiceName AS service,
    type AS span_type,
    op AS operation,
    SpanName AS span_name,
    agent_name AS agent,
    multiIf(
        a['gen_ai.caller.name'] != '', a['gen_ai.caller.name'],
        type = 'delegation' AND kind != 'client', agent_name,
        '') AS caller_agent,
    multiIf(transfer_target != '', transfer_target, type = 'delegation', agent_name, '')
        AS target_agent,
    tool_name AS tool,
    multiIf(
        a['gen_ai.tool.call.id'] != '', a['gen_ai.tool.call.id'],
        a['tool_call.id'] != '', a['tool_call.id'],
        a['tool.id']) AS tool_call_id,
    a['gapwatch.delegation.category'] AS delegation_category,
    classified AS outcome,
    if(classified = 'ok', '', multiIf(
        attr_error_type != '', attr_error_type,
        exception_type != '', exception_type,
        classified = 'timeout', 'timeout',
        '')) AS error_type,
    message AS error_message,
    if(classified = 'ok', '', if(fingerprint != '', substringUTF8(fingerprint, 1, 256),
                                 concat(classified, ' ', attr_error_type))) AS error_fingerprint,
    if(classified = 'blocked', if(explicit_blocked_reason != '', explicit_blocked_reason,
                                  raw_message), '') AS blocked_reason,
    capability AS desired_capability,
    substringUTF8(acted_on, 1, 512) AS resource,
    Duration AS duration_ns,
    toUInt64(greatest(toFloat64OrZero(multiIf(
        a['gen_ai.usage.input_tokens'] != '', a['gen_ai.usage.input_tokens'],
        a['gen_ai.usage.prompt_tokens'] != '', a['gen_ai.usage.prompt_tokens'],
        a['llm.token_count.prompt'] != '', a['llm.token_count.prompt'],
        a['llm.usage.prompt_tokens'])), 0)) AS input_tokens,
    toUInt64(greatest(toFloat64OrZero(multiIf(
        a['gen_ai.usage.output_tokens'] != '', a['gen_ai.usage.output_tokens'],
        a['gen_ai.usage.completion_tokens'] != '', a['gen_ai.usage.completion_tokens'],
        a['llm.token_count.completion'] != '', a['llm.token_count.completion'],
        a['llm.usage.completion_tokens'])), 0)) AS output_tokens,
    toUInt64(greatest(toFloat64OrZero(multiIf(
        a['gen_ai.usage.cache_read.input_tokens'] != '', a['gen_ai.usage.cache_read.input_tokens'],
        a['gen_ai.usage.cache_read_input_tokens'] != '', a['gen_ai.usage.cache_read_input_tokens'],
        a['llm.token_count.prompt_details.cache_read'])), 0)) AS cached_tokens,
    multiIf(
        a['gen_ai.conversation.id'] != '', a['gen_ai.conversation.id'],
        a['session.id'] != '', a['session.id'],
        a['traceloop.association.properties.session_id'] != '',
            a['traceloop.association.properties.session_id'],
        a['mcp.session.id'] != '', a['mcp.session.id'],
        ResourceAttributes['session.id']) AS session_id,
    multiIf(
        a['user.id'] != '', a['user.id'],
        a['traceloop.association.properties.user_id'] != '',
            a['traceloop.association.properties.user_id'],
        a['gen_ai.user'] != '', a['gen_ai.user'],
        a['enduser.id']) AS user_id,
    multiIf(
        a['gapwatch.agent.version'] != '', a['gapwatch.agent.version'],
        a['gen_ai.agent.version'] != '', a['gen_ai.agent.version'],
        ResourceAttributes['gapwatch.agent.version']) AS agent_version,
    multiIf(
        a['gapwatch.prompt.version'] != '', a['gapwatch.prompt.version'],
        a['gen_ai.prompt.version'] != '', a['gen_ai.prompt.version'],
        ResourceAttributes['gapwatch.prompt.version']) AS prompt_version,
    ResourceAttributes['service.version'] AS service_version,
    multiIf(
        a['gen_ai.response.model'] != '', a['gen_ai.response.model'],
        a['gen_ai.request.model'] != '', a['gen_ai.request.model'],
        a['llm.model_name'] != '', a['llm.model_name'],
        a['llm.response.model'] != '', a['llm.response.model'],
        a['llm.request.model']) AS model,
    toFloat64OrZero(a['gapwatch.input.size']) AS input_size,
    a['gapwatch.input.unit'] AS input_unit,
    greatest(toUInt16OrZero(a['gapwatch.attempt']), toUInt16(1)) AS attempt,
    if(arguments = '', toUInt64(0), cityHash64(arguments)) AS arguments_hash,
    substringUTF8(request, 1, 2048) AS request_text,
    offered AS offered_tools,
    toFloat32OrNull(feedback_event['gapwatch.feedback.rating']) AS feedback_score,
    toUInt16(countEqual(`Events.Name`, 'gapwatch.user_correction')) AS corrections,
    src AS source
FROM `${database}`.`gapwatch_span_feed`
WHERE type != ''
;
CREATE MATERIALIZED VIEW IF NOT EXISTS `${database}`.`gapwatch_span_feed_mv` ${on_cluster}
TO `${database}`.`gapwatch_span_feed` AS
SELECT
    Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, SpanAttributes, Duration, StatusCode, StatusMessage,
    `Events.Timestamp`, `Events.Name`, `Events.Attributes`
FROM `${database}`.`otel_traces`
;
-- Backfill: the spans stored before the views existed, through the same normalization.
INSERT INTO `${database}`.`gapwatch_span_feed`
SELECT
    Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, SpanAttributes, Duration, StatusCode, StatusMessage,
    `Events.Timestamp`, `Events.Name`, `Events.Attributes`
FROM `${database}`.`otel_traces`
