"""Enumerated attribute values of the GenAI conventions and the gapwatch extension."""

from __future__ import annotations

from enum import StrEnum


class ToolOutcome(StrEnum):
    """``gapwatch.tool.outcome``: how a tool call (or delegation) ended."""

    OK = "ok"
    ERROR = "error"
    SOFT_ERROR = "soft_error"  # returned an error payload while the span status stayed OK
    BLOCKED = "blocked"  # refused by a permission or policy
    TIMEOUT = "timeout"


class InputUnit(StrEnum):
    """``gapwatch.input.unit``."""

    BYTES = "bytes"
    LINES = "lines"
    TOKENS = "tokens"
    ITEMS = "items"


# gen_ai.operation.name values used by gapwatch
OP_INVOKE_AGENT = "invoke_agent"
OP_EXECUTE_TOOL = "execute_tool"
OP_INVOKE_WORKFLOW = "invoke_workflow"
OP_CHAT = "chat"
OP_TEXT_COMPLETION = "text_completion"
OP_GENERATE_CONTENT = "generate_content"
OP_EMBEDDINGS = "embeddings"

# gen_ai.transfer.mode
TRANSFER_RETURN_TO_CALLER = "return_to_caller"
TRANSFER_PASS_CONTROL = "pass_control"

# gen_ai.caller.type
CALLER_AGENT = "agent"
CALLER_WORKFLOW = "workflow"

# error.type value for timeouts (a low-cardinality id the conventions allow)
ERROR_TYPE_TIMEOUT = "timeout"
# error.type of an MCP tool that raised on the server (the MCP SDK's value for isError calls)
ERROR_TYPE_TOOL_ERROR = "tool_error"
