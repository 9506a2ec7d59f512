-- Stage 1a of the model: which convention a span follows and what it names (operation, agent,
-- tool, delegation ends, the call's own arguments and result, where its request is), read from
-- gapwatch_span_feed and passed on through gapwatch_span_conventions (a Null table) to the
-- classification in span_normalization.sql. Placeholders: database.
--
-- Two views in a row, not one query: every column here is computed once per span. Inside one
-- query ClickHouse expands an alias again at each use, and the classification uses these
-- columns dozens of times (it ran 50x slower as one query).
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
    -- the Vercel AI SDK's own telemetry (ai ≤ 6): spans named ai.* (P1: every generateText call
    -- is a span; it is an agent run when named by its telemetry functionId)
    multiIf(
        SpanName IN ('ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject'),
            'invoke_agent',
        SpanName = 'ai.toolCall', 'execute_tool',
        startsWith(SpanName, 'ai.') AND (endsWith(SpanName, '.doGenerate')
                                         OR endsWith(SpanName, '.doStream')), 'chat',
        '') AS vercel_op,
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
    -- handoffs: OpenLLMetry (operation handoff, kind handoff), the OTel contrib processor
    -- (agent_handoff), OpenInference's OpenAI Agents processor (TOOL span "handoff to X")
    genai_op IN ('handoff', 'agent_handoff') OR tl_kind = 'handoff'
        OR (oi_kind = 'TOOL' AND startsWith(SpanName, 'handoff to ')) AS is_handoff,
    multiIf(
        is_handoff, 'handoff',
        genai_op != '', genai_op,
        mcp_method = 'tools/call', 'execute_tool',
        -- OpenInference-LangChain marks a tool that runs a sub-agent as AGENT with tool.name
        oi_kind = 'AGENT' AND a['tool.name'] != '', 'execute_tool',
        oi_kind = 'AGENT', 'invoke_agent',
        oi_kind = 'TOOL', 'execute_tool',
        oi_kind = 'LLM', if(a['llm.prompts'] != '', 'text_completion', 'chat'),
        oi_kind = 'EMBEDDING', 'embeddings',
        oi_kind = 'RETRIEVER', 'retrieval',
        oi_kind != '', lower(oi_kind),
        tl_kind = 'agent', 'invoke_agent',
        tl_kind = 'tool', 'execute_tool',
        tl_kind = 'workflow', 'invoke_workflow',
        -- OpenLLMetry's LangChain.js instrumentation runs tools as tasks
        tl_kind = 'task' AND startsWith(SpanName, 'execute_tool '), 'execute_tool',
        tl_kind = 'task', 'execute_task',
        tl_request_type = 'completion', 'text_completion',
        tl_request_type = 'embedding', 'embeddings',
        tl_request_type != '', tl_request_type,
        vercel_op != '', vercel_op,
        a['gen_ai.system'] != '' OR a['gen_ai.provider.name'] != '', 'chat',
        name_op) AS op,
    multiIf(
        mcp_method != '', 'mcp',
        genai_op != '', 'genai',
        oi_kind != '', 'openinference',
        tl_kind != '' OR tl_request_type != '', 'openllmetry',
        vercel_op != '', 'vercel',
        a['gen_ai.system'] != '' OR a['gen_ai.provider.name'] != '', 'genai',
        'name') AS src,
    a['gen_ai.transfer.target.name'] AS transfer_target,
    multiIf(
        a['gen_ai.agent.name'] != '', a['gen_ai.agent.name'],
        a['agent.name'] != '', a['agent.name'],
        -- OpenInference's OpenAI Agents processor names the agent only in graph.node.id
        oi_kind = 'AGENT' AND a['graph.node.id'] != '', a['graph.node.id'],
        op = 'invoke_agent' AND a['ai.telemetry.functionId'] != '', a['ai.telemetry.functionId'],
        tl_kind IN ('agent', 'workflow') AND a['traceloop.entity.name'] != '',
            a['traceloop.entity.name'],
        -- an OpenLLMetry task is named for what it runs; assembly makes it a run only beside a
        -- same-named agent span (LangGraph's sub-agent)
        op = 'execute_task' AND a['gen_ai.task.name'] != '', a['gen_ai.task.name'],
        op = 'execute_task' AND a['traceloop.entity.name'] != '', a['traceloop.entity.name'],
        op = 'invoke_workflow' AND a['gen_ai.workflow.name'] != '', a['gen_ai.workflow.name'],
        startsWith(SpanName, 'invoke_agent '), substring(SpanName, 14),
        startsWith(SpanName, 'invoke_workflow '), substring(SpanName, 17),
        endsWith(SpanName, '.agent'), substring(SpanName, 1, length(SpanName) - 6),
        endsWith(SpanName, '.workflow'), substring(SpanName, 1, length(SpanName) - 9),
        '') AS named_agent,
    -- framework roots and placeholders that are not agents of the user's (P1, P7 in
    -- reference/agent-conventions.md): the OpenAI Agents trace wrapper, LangGraph's default
    -- graph name, unnamed workflows
    named_agent IN ('Agent workflow', 'Agent Workflow', 'LangGraph', 'RunnableSequence',
                    'RunnableLambda', 'CompiledStateGraph', 'unknown_agent', 'unknown',
                    'workflow') AS placeholder_agent,
    if(placeholder_agent, '', named_agent) AS agent_name,
    -- MCP client spans are "MCP send tools/call <tool>", server spans "tools/call <tool>"
    multiIf(
        -- LangChain's tool classes name no tool; the real name is then only in the ToolMessage
        -- a successful call returns (a failed one stays without a name, and without a row)
        named_tool IN ('DynamicStructuredTool', 'DynamicTool', 'StructuredTool'), multiIf(
            JSONExtractString(a['traceloop.entity.output'], 'kwargs', 'name') != '',
                JSONExtractString(a['traceloop.entity.output'], 'kwargs', 'name'),
            JSONExtractString(a['output.value'], 'output', 'kwargs', 'name') != '',
                JSONExtractString(a['output.value'], 'output', 'kwargs', 'name'),
            ''),
        named_tool) AS tool_name,
    multiIf(
        a['gen_ai.tool.name'] != '', a['gen_ai.tool.name'],
        a['tool.name'] != '', a['tool.name'],
        a['ai.toolCall.name'] != '', a['ai.toolCall.name'],
        tl_kind = 'tool' AND a['traceloop.entity.name'] != '', a['traceloop.entity.name'],
        mcp_method = 'tools/call' AND position(SpanName, 'tools/call ') > 0,
            trimBoth(substring(SpanName, position(SpanName, 'tools/call ') + 11)),
        startsWith(SpanName, 'execute_tool '), splitByChar(' ', SpanName)[2],
        endsWith(SpanName, '.tool'), substring(SpanName, 1, length(SpanName) - 5),
        '') AS named_tool,
    multiIf(
        op = 'invoke_agent' AND kind = 'client', 'delegation',
        transfer_target != '' OR is_handoff, 'delegation',
        op IN ('invoke_agent', 'invoke_workflow') AND agent_name != '', 'agent',
        op = 'execute_tool' AND tool_name != '', 'tool',
        op IN ('chat', 'text_completion', 'generate_content', 'embeddings'), 'llm',
        '') AS type,
    -- a handoff's two ends under each convention; the target may be unknown (OpenLLMetry sets
    -- it before the SDK does: P3), then assembly takes the next agent run of the trace
    multiIf(
        a['gen_ai.caller.name'] != '', a['gen_ai.caller.name'],
        a['gen_ai.handoff.from_agent'] != '', a['gen_ai.handoff.from_agent'],
        -- OpenInference: the caller's name (Python) or {"from_agent": name} (JS) as input
        oi_kind = 'TOOL' AND is_handoff, multiIf(
            JSONType(a['input.value']) = 'String', JSONExtractString(a['input.value']),
            JSONType(a['input.value'], 'from_agent') = 'String',
                JSONExtractString(a['input.value'], 'from_agent'),
            a['input.value']),
        '') AS explicit_caller,
    multiIf(
        transfer_target != '', transfer_target,
        a['gen_ai.handoff.to_agent'] NOT IN ('', 'unknown'), a['gen_ai.handoff.to_agent'],
        oi_kind = 'TOOL' AND is_handoff, substring(SpanName, 12),
        op = 'invoke_agent' AND kind = 'client', agent_name,
        '') AS explicit_target,
    -- tool arguments and results (opt-in content) under each convention's name
    multiIf(
        a['gen_ai.tool.call.arguments'] != '', a['gen_ai.tool.call.arguments'],
        a['tool_arguments'] != '', a['tool_arguments'],
        oi_kind IN ('TOOL', 'AGENT') AND type = 'tool', a['input.value'],
        tl_kind IN ('tool', 'task') AND op = 'execute_tool', a['traceloop.entity.input'],
        a['ai.toolCall.args'] != '', a['ai.toolCall.args'],
        '') AS arguments,
    -- the call's own arguments: OpenLLMetry's LangChain envelope {input_str, tags, metadata,
    -- inputs, kwargs} carries graph steps and checkpoint ids beside them; the decorator's
    -- {"args", "kwargs"} keeps both
    multiIf(
        JSONType(arguments, 'inputs') != 'Null' AND JSONHas(arguments, 'input_str'),
            JSONExtractRaw(arguments, 'inputs'),
        JSONType(arguments, 'input_str') = 'String', JSONExtractString(arguments, 'input_str'),
        -- LangChain.js under OpenLLMetry: {"args": ["<the call's input>"]}
        JSONType(arguments, 'args') = 'Array' AND JSONLength(arguments, 'args') = 1
            AND NOT JSONHas(arguments, 'kwargs'),
            if(JSONType(arguments, 'args', 1) = 'String', JSONExtractString(arguments, 'args', 1),
               JSONExtractRaw(arguments, 'args', 1)),
        arguments) AS own_arguments,
    multiIf(
        a['gen_ai.tool.call.result'] != '', a['gen_ai.tool.call.result'],
        a['tool_response'] != '', a['tool_response'],
        oi_kind IN ('TOOL', 'AGENT') AND type = 'tool', a['output.value'],
        tl_kind IN ('tool', 'task') AND op = 'execute_tool', a['traceloop.entity.output'],
        a['ai.toolCall.result'] != '', a['ai.toolCall.result'],
        '') AS result,
    -- a result wrapped by the framework: a serialized LangChain ToolMessage (under "output",
    -- as OpenLLMetry writes it, or bare), OpenInference's {"type": "tool", "data": {…}}
    multiIf(
        JSONType(result, 'output', 'kwargs') = 'Object', JSONExtractRaw(result, 'output', 'kwargs'),
        JSONType(result, 'kwargs', 'content') != 'Null' AND JSONHas(result, 'lc'),
            JSONExtractRaw(result, 'kwargs'),
        JSONType(result, 'data') = 'Object' AND JSONExtractString(result, 'type') = 'tool',
            JSONExtractRaw(result, 'data'),
        '') AS message_wrapper,
    if(message_wrapper = '', result, if(JSONType(message_wrapper, 'content') = 'String',
        JSONExtractString(message_wrapper, 'content'), JSONExtractRaw(message_wrapper, 'content')))
        AS own_result,
    -- LangGraph's ToolNode turns an exception into a ToolMessage with status "error"
    JSONExtractString(message_wrapper, 'status') = 'error' AS wrapped_error,
    -- OpenInference LLM spans: llm.input_messages.<i>.message.role / .content, lowest i first
    arraySort(arrayMap(k -> toUInt32OrZero(extract(k, '^llm\\.input_messages\\.([0-9]+)\\.')),
        -- prefix and suffix first: a regular expression on every key of every span costs more
        arrayFilter(k -> startsWith(k, 'llm.input_messages.') AND endsWith(k, '.message.role')
                         AND lower(a[k]) IN ('user', 'human'), mapKeys(a)))) AS oi_user_indexes,
    -- OpenLLMetry's indexed prompts: gen_ai.prompt.<i>.role / .content
    arraySort(arrayMap(k -> toUInt32OrZero(extract(k, '^gen_ai\\.prompt\\.([0-9]+)\\.')),
        arrayFilter(k -> startsWith(k, 'gen_ai.prompt.') AND endsWith(k, '.role')
                         AND lower(a[k]) = 'user', mapKeys(a)))) AS tl_user_indexes,
    -- the request a span carries: explicit task text, else the first user message of its
    -- input under each convention (assembly picks the run's first); pydantic-ai's history
    -- starts this run's messages at new_message_index
    multiIf(
        a['pydantic_ai.all_messages'] != '', concat('[', arrayStringConcat(
            arraySlice(JSONExtractArrayRaw(a['pydantic_ai.all_messages']),
                       toUInt32OrZero(a['pydantic_ai.new_message_index']) + 1), ','), ']'),
        a['gen_ai.input.messages'] != '', a['gen_ai.input.messages'],
        notEmpty(oi_user_indexes), if(
            a[concat('llm.input_messages.', toString(oi_user_indexes[1]), '.message.content')] != '',
            a[concat('llm.input_messages.', toString(oi_user_indexes[1]), '.message.content')],
            a[concat('llm.input_messages.', toString(oi_user_indexes[1]),
                     '.message.contents.0.message_content.text')]),
        notEmpty(tl_user_indexes),
            a[concat('gen_ai.prompt.', toString(tl_user_indexes[1]), '.content')],
        oi_kind IN ('AGENT', 'CHAIN', 'LLM') AND a['input.value'] != '', a['input.value'],
        a['traceloop.entity.input'] != '' AND tl_kind IN ('agent', 'workflow', ''),
            a['traceloop.entity.input'],
        a['ai.prompt']) AS request_source,
    -- tools offered to the model; pydantic-ai also lists its output tools (the structured final
    -- answer, e.g. final_result), which are never executed as tools
    arrayDistinct(arrayFilter(x -> x != '' AND NOT has(arrayMap(
            d -> JSONExtractString(d, 'name'),
            JSONExtractArrayRaw(a['model_request_parameters'], 'output_tools')), x), arrayConcat(
        arrayMap(d -> if(JSONExtractString(d, 'name') != '', JSONExtractString(d, 'name'),
                         JSONExtractString(d, 'function', 'name')),
                 JSONExtractArrayRaw(a['gen_ai.tool.definitions'])),
        arrayMap(k -> if(JSONExtractString(a[k], 'name') != '', JSONExtractString(a[k], 'name'),
                         JSONExtractString(a[k], 'function', 'name')),
                 arrayFilter(k -> startsWith(k, 'llm.tools.') AND endsWith(k, '.tool.json_schema'),
                             mapKeys(a))),
        -- Vercel: ai.prompt.tools, an array of JSON strings
        arrayMap(d -> JSONExtractString(JSONExtractString(d), 'name'),
                 JSONExtractArrayRaw(a['ai.prompt.tools'])),
        arrayMap(k -> a[k],
                 arrayFilter(k -> startsWith(k, 'llm.request.functions.') AND endsWith(k, '.name'),
                             mapKeys(a)))))) AS offered
SELECT
    Timestamp, TraceId, SpanId, ParentSpanId, SpanName, ServiceName, ResourceAttributes,
    SpanAttributes, Duration, StatusMessage, `Events.Name`, `Events.Attributes`,
    kind, status, oi_kind, tl_kind, op, src, is_handoff, agent_name, tool_name, type,
    explicit_caller, explicit_target, own_arguments, own_result, wrapped_error,
    request_source, offered
FROM `${database}`.`gapwatch_span_feed`
