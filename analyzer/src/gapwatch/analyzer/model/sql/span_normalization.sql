-- Stage 1b of the model: each span's own facts, one row per span: outcome (from status,
-- exception, error type, results), error message and fingerprint, request text, tokens,
-- session, versions, input size and argument hash. Reads gapwatch_span_conventions (filled by
-- span_conventions.sql), written to gapwatch_span_facts by the view that migrations create from
-- this file. Placeholders: database. Trace assembly (assemble.sql) then resolves what needs the
-- whole trace: owning agent, runs, delegations.
--
-- Classification order follows reference/genai-semconv.md §9.3: GenAI operation name, then MCP,
-- OpenInference, OpenLLMetry, then span-name heuristics. docs/data-model.md lists, per framework
-- and instrumentor, which attribute each column is read from.
WITH
    SpanAttributes AS a,
    -- the text of one chat message under each convention: a plain string content, GenAI parts
    -- ({"type": "text", "content"}), OpenAI content parts ({"type": "text", "text"}), a
    -- LangChain message serialized as a constructor ({"lc": 1, …, "kwargs": {"content"}}) or
    -- as a ["role", "text"] pair
    (m -> multiIf(
        JSONType(m) = 'Array', JSONExtractString(m, 2),
        JSONType(m, 'kwargs') = 'Object', JSONExtractString(m, 'kwargs', 'content'),
        JSONType(m, 'content') = 'String', JSONExtractString(m, 'content'),
        JSONType(m, 'parts') = 'Array' OR JSONType(m, 'content') = 'Array',
            arrayStringConcat(arrayFilter(t -> t != '', arrayMap(
                p -> if(JSONType(p) = 'String', JSONExtractString(p),
                        if(JSONExtractString(p, 'content') != '', JSONExtractString(p, 'content'),
                           JSONExtractString(p, 'text'))),
                if(JSONType(m, 'parts') = 'Array', JSONExtractArrayRaw(m, 'parts'),
                   JSONExtractArrayRaw(m, 'content')))), ' '),
        '')) AS message_text,
    -- whether a chat message is the user's, in the same shapes
    (m -> lower(multiIf(
        JSONType(m) = 'Array', JSONExtractString(m, 1),
        JSONType(m, 'kwargs') = 'Object',
            arrayLast(x -> 1, JSONExtract(m, 'id', 'Array(String)')),
        JSONExtractString(m, 'role') != '', JSONExtractString(m, 'role'),
        JSONExtractString(m, 'type'))) IN ('user', 'human', 'humanmessage')) AS is_user_message,
    -- the first user message of a JSON list of messages
    (list -> arrayFirst(t -> t != '', arrayMap(m -> if(is_user_message(m), message_text(m), ''),
                                               JSONExtractArrayRaw(list)))) AS first_user_text,
    -- a request held in a framework's input value: plain text, a JSON string, a messages list
    -- (bare or under "messages" / "inputs.messages" / "input.messages"), an "input", "prompt"
    -- or "query" field; a Vercel {"system", "prompt"} keeps only the prompt. Each lambda is
    -- called once: ClickHouse inlines them, and nested calls multiply the query tree.
    (v -> multiIf(
        v = '', '',
        NOT isValidJSON(v), v,
        JSONType(v) = 'String', JSONExtractString(v),
        JSONType(v) = 'Array' OR JSONType(v, 'messages') = 'Array'
            OR JSONType(v, 'inputs', 'messages') = 'Array'
            OR JSONType(v, 'input', 'messages') = 'Array',
            first_user_text(multiIf(
                JSONType(v) = 'Array', v,
                JSONType(v, 'messages') = 'Array', JSONExtractRaw(v, 'messages'),
                JSONType(v, 'inputs', 'messages') = 'Array', JSONExtractRaw(v, 'inputs', 'messages'),
                JSONExtractRaw(v, 'input', 'messages'))),
        JSONType(v, 'input') = 'String', JSONExtractString(v, 'input'),
        -- OpenLLMetry's decorators: {"args": [...], "kwargs": {...}}, the text arguments
        JSONType(v, 'args') = 'Array' AND JSONLength(v, 'args') > 0,
            arrayStringConcat(arrayFilter(x -> x != '', arrayMap(x -> JSONExtractString(x),
                                                                  JSONExtractArrayRaw(v, 'args'))), ' '),
        JSONType(v, 'inputs', 'input') = 'String', JSONExtractString(v, 'inputs', 'input'),
        JSONType(v, 'prompt') = 'String', JSONExtractString(v, 'prompt'),
        JSONType(v, 'query') = 'String', JSONExtractString(v, 'query'),
        '')) AS input_text,
    -- the first recorded exception, as the SDK's record_exception writes it
    `Events.Attributes`[indexOf(`Events.Name`, 'exception')] AS exception,
    `Events.Attributes`[indexOf(`Events.Name`, 'gapwatch.blocked')] AS blocked_event,
    `Events.Attributes`[indexOf(`Events.Name`, 'gapwatch.feedback')] AS feedback_event,
    exception['exception.type'] AS exception_type,
    exception['exception.message'] AS exception_message,
    a['error.type'] AS attr_error_type,
    multiIf(StatusMessage != '', StatusMessage, exception_message != '', exception_message,
            wrapped_error, own_result, '') AS raw_message,
    -- a whole traceback names the error on its last line; its code lines ("fut.result(timeout)")
    -- say nothing about the failure
    multiIf(
        startsWith(trimLeft(raw_message), 'Traceback'),
            arrayLast(x -> trimBoth(x) != '', splitByChar('\n', raw_message)),
        -- the OpenAI Agents SDK's non-fatal tool error: the tool's own error is the "error" of
        -- the dict it appends (JSON in JS, a Python repr in Python)
        startsWith(raw_message, 'Error running tool (non-fatal): ')
            AND match(raw_message, '[\'"]error[\'"]\\s*:\\s*[\'"](.+)[\'"]\\s*\\}\\s*$$'),
            extract(raw_message, '[\'"]error[\'"]\\s*:\\s*[\'"](.+)[\'"]\\s*\\}\\s*$$'),
        -- OpenInference-LangChain: repr(exception) with the traceback appended
        position(raw_message, 'Traceback (most recent call last)') > 1,
            trimBoth(substring(raw_message, 1,
                               position(raw_message, 'Traceback (most recent call last)') - 1)),
        raw_message) AS headline,
    multiIf(
        a['gapwatch.blocked.reason'] != '', a['gapwatch.blocked.reason'],
        blocked_event['gapwatch.blocked.reason'] != '', blocked_event['gapwatch.blocked.reason'],
        '') AS explicit_blocked_reason,
    lower(a['gapwatch.tool.outcome']) AS explicit_outcome,
    -- a handled exception on a span whose status says OK is not a failure; MCP's tool_error is
    -- a result with isError, classified below
    -- OpenInference's Vercel processor marks the root AGENT span ERROR when any span of the
    -- trace failed; a run that really failed has its exception event and no response
    (status = 'error' AND attr_error_type != 'tool_error'
        AND NOT (oi_kind = 'AGENT' AND NOT has(`Events.Name`, 'exception')
                 AND a['ai.response.finishReason'] != ''))
        OR (attr_error_type != '' AND attr_error_type != 'tool_error')
        OR (has(`Events.Name`, 'exception') AND status != 'ok') OR wrapped_error AS failed,
    lower(concat(attr_error_type, ' ', exception_type, ' ',
                 substringUTF8(headline, 1, 512))) AS failure_text,
    match(failure_text, 'time[d]?[ _-]?out|deadline[ _-]?exceeded|etimedout') AS looks_timeout,
    match(failure_text, concat(
        'permission|forbidden|unauthori[sz]ed|access[ _-]?denied|not permitted|not allowed|',
        'eacces|eperm|\\bblocked\\b|denied by|polic(y|ies) (violation|denied|refus)|\\b403\\b'))
        AS looks_blocked,
    -- a timeout reported as a normal result (the OpenAI Agents SDK's own tool timeout)
    own_result != '' AND match(own_result, '(?i)^\\s*"?(tool\\s+\\S+\\s+)?timed out after\\b')
        OR match(own_result, '(?i)^tool \'[^\']+\' timed out after') AS result_timeout,
    -- an error payload returned as a normal result (MCP isError, {"error": …}, success: false)
    attr_error_type = 'tool_error' OR own_result != '' AND (
        match(own_result, '(?i)^\\s*\\{\\s*"(error|errors|error_message|err)"\\s*:\\s*[^n\\s]')
        OR match(own_result, '(?i)"is_?error"\\s*:\\s*true')
        OR match(own_result, '(?i)"(status|state)"\\s*:\\s*"(error|failed|failure)"')
        OR match(own_result, '(?i)"(ok|success)"\\s*:\\s*false')
        OR match(own_result, '(?i)^\\s*"?(error|exception|traceback)\\b')) AS looks_soft_error,
    multiIf(
        explicit_outcome IN ('ok', 'error', 'soft_error', 'blocked', 'timeout'), explicit_outcome,
        explicit_blocked_reason != '' OR has(`Events.Name`, 'gapwatch.blocked'), 'blocked',
        failed AND looks_timeout, 'timeout',
        failed AND looks_blocked, 'blocked',
        -- the MCP SDK's answer when a tool raised: an error, though it travels as isError
        failed AND startsWith(headline, 'Error executing tool'), 'error',
        -- pydantic-ai's ModelRetry (also how its MCP toolset passes an isError result on): the
        -- tool answered that the call failed and the model may try again
        failed AND endsWith(exception_type, 'ToolRetryError'), 'soft_error',
        failed, 'error',
        position(a['gen_ai.response.finish_reasons'], '"error"') > 0, 'error',
        result_timeout, 'timeout',
        looks_soft_error, 'soft_error',
        'ok') AS classified,
    substringUTF8(multiIf(
        classified = 'ok', '',
        headline != '', headline,
        explicit_blocked_reason != '', explicit_blocked_reason,
        classified IN ('soft_error', 'timeout'), multiIf(
            JSONExtractString(own_result, 'error') != '', JSONExtractString(own_result, 'error'),
            JSONExtractString(own_result, 'error', 'message') != '',
                JSONExtractString(own_result, 'error', 'message'),
            JSONExtractString(own_result, 'content', 1, 'text') != '',
                JSONExtractString(own_result, 'content', 1, 'text'),
            JSONExtractString(own_result, 'message') != '', JSONExtractString(own_result, 'message'),
            own_result),
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
        JSONExtractString(own_arguments, 'path'), JSONExtractString(own_arguments, 'file_path'),
        JSONExtractString(own_arguments, 'filepath'), JSONExtractString(own_arguments, 'file'),
        JSONExtractString(own_arguments, 'filename'),
        JSONExtractString(own_arguments, 'directory'),
        JSONExtractString(own_arguments, 'url'), JSONExtractString(own_arguments, 'uri'),
        JSONExtractString(own_arguments, 'resource'), JSONExtractString(own_arguments, 'target'),
        if(classified = 'blocked',
            extract(raw_message, '([A-Za-z0-9_.~@-]*/[A-Za-z0-9_./~@-]+)'), '')]), '')
        AS acted_on,
    if(type IN ('agent', 'delegation', 'llm', ''),
       if(a['gapwatch.task'] != '', a['gapwatch.task'], input_text(request_source)),
       a['gapwatch.task']) AS request
SELECT
    Timestamp AS timestamp,
    TraceId AS trace_id,
    SpanId AS span_id,
    ParentSpanId AS parent_span_id,
    ServiceName AS service,
    type AS span_type,
    op AS operation,
    SpanName AS span_name,
    kind AS span_kind,
    is_handoff AS handoff,
    agent_name AS agent,
    explicit_caller AS caller_agent,
    explicit_target AS target_agent,
    tool_name AS tool,
    multiIf(
        a['gen_ai.tool.call.id'] != '', a['gen_ai.tool.call.id'],
        a['tool_call.id'] != '', a['tool_call.id'],
        a['tool.id'] != '', a['tool.id'],
        a['ai.toolCall.id']) AS tool_call_id,
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
                                  headline), '') AS blocked_reason,
    capability AS desired_capability,
    substringUTF8(acted_on, 1, 512) AS resource,
    Duration AS duration_ns,
    toUInt64(greatest(toFloat64OrZero(multiIf(
        a['gen_ai.usage.input_tokens'] != '', a['gen_ai.usage.input_tokens'],
        a['gen_ai.usage.prompt_tokens'] != '', a['gen_ai.usage.prompt_tokens'],
        a['llm.token_count.prompt'] != '', a['llm.token_count.prompt'],
        a['llm.usage.prompt_tokens'] != '', a['llm.usage.prompt_tokens'],
        a['ai.usage.inputTokens'] != '', a['ai.usage.inputTokens'],
        a['ai.usage.promptTokens'])), 0)) AS input_tokens,
    toUInt64(greatest(toFloat64OrZero(multiIf(
        a['gen_ai.usage.output_tokens'] != '', a['gen_ai.usage.output_tokens'],
        a['gen_ai.usage.completion_tokens'] != '', a['gen_ai.usage.completion_tokens'],
        a['llm.token_count.completion'] != '', a['llm.token_count.completion'],
        a['llm.usage.completion_tokens'] != '', a['llm.usage.completion_tokens'],
        a['ai.usage.outputTokens'] != '', a['ai.usage.outputTokens'],
        a['ai.usage.completionTokens'])), 0)) AS output_tokens,
    toUInt64(greatest(toFloat64OrZero(multiIf(
        a['gen_ai.usage.cache_read.input_tokens'] != '', a['gen_ai.usage.cache_read.input_tokens'],
        a['gen_ai.usage.cache_read_input_tokens'] != '', a['gen_ai.usage.cache_read_input_tokens'],
        a['llm.token_count.prompt_details.cache_read'])), 0)) AS cached_tokens,
    multiIf(
        a['gen_ai.conversation.id'] != '', a['gen_ai.conversation.id'],
        a['session.id'] != '', a['session.id'],
        a['traceloop.association.properties.session_id'] != '',
            a['traceloop.association.properties.session_id'],
        -- LangGraph's thread, as OpenLLMetry copies the run's metadata
        a['traceloop.association.properties.thread_id'] != '',
            a['traceloop.association.properties.thread_id'],
        a['ai.telemetry.metadata.sessionId'] != '', a['ai.telemetry.metadata.sessionId'],
        JSONExtractString(a['metadata'], 'sessionId') != '',
            JSONExtractString(a['metadata'], 'sessionId'),
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
    -- the explicit size, else the size of the call's own arguments in bytes
    if(toFloat64OrZero(a['gapwatch.input.size']) > 0, toFloat64OrZero(a['gapwatch.input.size']),
       if(type = 'tool', toFloat64(length(own_arguments)), 0)) AS input_size,
    if(toFloat64OrZero(a['gapwatch.input.size']) > 0, a['gapwatch.input.unit'],
       if(type = 'tool' AND own_arguments != '', 'bytes', '')) AS input_unit,
    greatest(toUInt16OrZero(a['gapwatch.attempt']), toUInt16(1)) AS attempt,
    if(own_arguments = '', toUInt64(0), cityHash64(own_arguments)) AS arguments_hash,
    substringUTF8(trimBoth(request), 1, 2048) AS request_text,
    offered AS offered_tools,
    toFloat32OrNull(feedback_event['gapwatch.feedback.rating']) AS feedback_score,
    toUInt16(countEqual(`Events.Name`, 'gapwatch.user_correction')) AS corrections,
    src AS source
FROM `${database}`.`gapwatch_span_conventions`
