"""LangGraph support-bot scenario under OpenInference's LangChainInstrumentor.

    python langgraph_openinference.py LEDGER_PATH [--sessions N] [--capture FILE]
"""

from __future__ import annotations

from langgraph_common import main
from opentelemetry.sdk.trace import TracerProvider


def instrument(provider: TracerProvider) -> None:
    """OpenInference's documented set-up: the instrumentor on the given tracer provider."""
    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument(tracer_provider=provider)


if __name__ == "__main__":
    main("langgraph-openinference", instrument)
