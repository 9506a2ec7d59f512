"""gapwatch instrumentation: agents emit delegation and tool calls as OpenTelemetry GenAI spans.

    from gapwatch.instrumentation import agent, configure, delegation, tool

    configure(service_name="orchestrator")

    @tool("web_search")
    def web_search(query: str) -> list[str]: ...

    with agent("orchestrator", conversation_id="c-42"):
        with delegation("researcher", category="research"):
            with agent("researcher"):
                web_search("otel genai")

Zero code: ``opentelemetry-instrument python my_agent.py`` with ``GAPWATCH_*`` variables (see
:class:`GapwatchInstrumentor`).
"""

from gapwatch.instrumentation._content import default_redactor
from gapwatch.instrumentation._context import (
    ConversationIdProcessor,
    current_conversation_id,
)
from gapwatch.instrumentation._events import (
    record_blocked,
    record_feedback,
    record_user_correction,
)
from gapwatch.instrumentation._instrumentor import GapwatchInstrumentor
from gapwatch.instrumentation._outcome import (
    Classification,
    ToolBlocked,
    classify_exception,
    default_result_classifier,
)
from gapwatch.instrumentation._processor import BurstBatchSpanProcessor
from gapwatch.instrumentation._propagation import extract_context, inject_context
from gapwatch.instrumentation._settings import ConfigurationError
from gapwatch.instrumentation._setup import Tracing, configure
from gapwatch.instrumentation._spans import (
    AgentScope,
    DelegationScope,
    RemoteAgentScope,
    ToolScope,
    agent,
    delegation,
    remote_agent,
    tool,
)
from gapwatch.instrumentation._wrapping import ArgumentNames

__all__ = [
    "AgentScope",
    "ArgumentNames",
    "BurstBatchSpanProcessor",
    "Classification",
    "ConfigurationError",
    "ConversationIdProcessor",
    "DelegationScope",
    "GapwatchInstrumentor",
    "RemoteAgentScope",
    "ToolBlocked",
    "ToolScope",
    "Tracing",
    "agent",
    "classify_exception",
    "configure",
    "current_conversation_id",
    "default_redactor",
    "default_result_classifier",
    "delegation",
    "extract_context",
    "inject_context",
    "record_blocked",
    "record_feedback",
    "record_user_correction",
    "remote_agent",
    "tool",
]
