"""LangGraph support-bot scenario under OpenLLMetry's LangchainInstrumentor (content tracing on).

    python langgraph_openllmetry.py LEDGER_PATH [--sessions N] [--capture FILE]
"""

from __future__ import annotations

import os

from langgraph_common import main
from opentelemetry.sdk.trace import TracerProvider


def instrument(provider: TracerProvider) -> None:
    """Traceloop's documented set-up: the instrumentor on the global provider, content on."""
    os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor

    LangchainInstrumentor().instrument(tracer_provider=provider)


if __name__ == "__main__":
    main("langgraph-openllmetry", instrument)
