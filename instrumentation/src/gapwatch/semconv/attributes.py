"""Attribute, event and span-name constants: GenAI conventions, the gapwatch extension, aliases.

GenAI names follow the ``semantic-conventions-genai`` snapshot described in
``shared/reference/genai-semconv.md`` (all ``gen_ai.*`` names are at *Development* stability).
"""

from __future__ import annotations

# --- OpenTelemetry GenAI (newest) ----------------------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"

GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_AGENT_DESCRIPTION = "gen_ai.agent.description"
GEN_AI_AGENT_VERSION = "gen_ai.agent.version"
GEN_AI_CALLER_TYPE = "gen_ai.caller.type"
GEN_AI_CALLER_NAME = "gen_ai.caller.name"
GEN_AI_TRANSFER_MODE = "gen_ai.transfer.mode"
GEN_AI_TRANSFER_TARGET_NAME = "gen_ai.transfer.target.name"
GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"

GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION = "gen_ai.tool.description"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"

GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_PROMPT_NAME = "gen_ai.prompt.name"
GEN_AI_PROMPT_VERSION = "gen_ai.prompt.version"

GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"

ERROR_TYPE = "error.type"
EXCEPTION_TYPE = "exception.type"
EXCEPTION_MESSAGE = "exception.message"
EXCEPTION_STACKTRACE = "exception.stacktrace"
USER_ID = "user.id"
SERVICE_NAME = "service.name"
SERVICE_VERSION = "service.version"

# --- gapwatch extension (DESIGN §3) --------------------------------------------------------------
GAPWATCH_TOOL_OUTCOME = "gapwatch.tool.outcome"
GAPWATCH_BLOCKED_REASON = "gapwatch.blocked.reason"
GAPWATCH_DESIRED_CAPABILITY = "gapwatch.desired_capability"
GAPWATCH_INPUT_SIZE = "gapwatch.input.size"
GAPWATCH_INPUT_UNIT = "gapwatch.input.unit"
GAPWATCH_ATTEMPT = "gapwatch.attempt"
GAPWATCH_DELEGATION_CATEGORY = "gapwatch.delegation.category"
GAPWATCH_TASK = "gapwatch.task"
GAPWATCH_AGENT_VERSION = "gapwatch.agent.version"
GAPWATCH_PROMPT_VERSION = "gapwatch.prompt.version"

EXTENSION_ATTRIBUTES: tuple[str, ...] = (
    GAPWATCH_TOOL_OUTCOME,
    GAPWATCH_BLOCKED_REASON,
    GAPWATCH_DESIRED_CAPABILITY,
    GAPWATCH_INPUT_SIZE,
    GAPWATCH_INPUT_UNIT,
    GAPWATCH_ATTEMPT,
    GAPWATCH_DELEGATION_CATEGORY,
    GAPWATCH_TASK,
    GAPWATCH_AGENT_VERSION,
    GAPWATCH_PROMPT_VERSION,
)

# Span events of the extension, and their attributes.
EVENT_FEEDBACK = "gapwatch.feedback"
EVENT_USER_CORRECTION = "gapwatch.user_correction"
EVENT_BLOCKED = "gapwatch.blocked"
FEEDBACK_RATING = "gapwatch.feedback.rating"
FEEDBACK_COMMENT = "gapwatch.feedback.comment"
FEEDBACK_SOURCE = "gapwatch.feedback.source"
CORRECTION_DESCRIPTION = "gapwatch.correction.description"
EVENT_EXCEPTION = "exception"

# --- Older and foreign names the analyzer still reads (reference §8, §9) -------------------------
GEN_AI_SYSTEM = "gen_ai.system"  # replaced by gen_ai.provider.name
GEN_AI_USAGE_PROMPT_TOKENS = "gen_ai.usage.prompt_tokens"
GEN_AI_USAGE_COMPLETION_TOKENS = "gen_ai.usage.completion_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"

OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
OPENINFERENCE_AGENT_NAME = "agent.name"
OPENINFERENCE_TOOL_NAME = "tool.name"
OPENINFERENCE_SESSION_ID = "session.id"
OPENINFERENCE_USER_ID = "user.id"
OPENINFERENCE_INPUT_VALUE = "input.value"
OPENINFERENCE_TOKEN_PROMPT = "llm.token_count.prompt"
OPENINFERENCE_TOKEN_COMPLETION = "llm.token_count.completion"
OPENINFERENCE_MODEL_NAME = "llm.model_name"

TRACELOOP_SPAN_KIND = "traceloop.span.kind"
TRACELOOP_ENTITY_NAME = "traceloop.entity.name"
TRACELOOP_ENTITY_INPUT = "traceloop.entity.input"
TRACELOOP_WORKFLOW_NAME = "traceloop.workflow.name"
TRACELOOP_SESSION_ID = "traceloop.association.properties.session_id"
TRACELOOP_USER_ID = "traceloop.association.properties.user_id"

MCP_METHOD_NAME = "mcp.method.name"
MCP_SESSION_ID = "mcp.session.id"
