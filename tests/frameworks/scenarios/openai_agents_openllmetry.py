"""OpenAI Agents SDK scenario under OpenLLMetry's ``OpenAIAgentsInstrumentor`` (Traceloop).

    python openai_agents_openllmetry.py LEDGER [--sessions N] [--capture FILE]

Content tracing is on (``TRACELOOP_TRACE_CONTENT=true``, the instrumentor's default). The
instrumentor is built with ``replace_existing_processors=True`` so the SDK's own exporter to
OpenAI is dropped. Without the Traceloop SDK there is no documented way to put a session id on
these spans; the SDK's ``group_id`` is set but not exported. See ``openai_agents_common``.
"""

from __future__ import annotations

import os

from openai_agents_common import Setup, main
from opentelemetry.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from opentelemetry.sdk.trace import TracerProvider


def instrument(provider: TracerProvider) -> None:
    os.environ["TRACELOOP_TRACE_CONTENT"] = "true"
    os.environ.setdefault("TRACELOOP_METRICS_ENABLED", "false")
    OpenAIAgentsInstrumentor(replace_existing_processors=True).instrument(
        tracer_provider=provider)


if __name__ == "__main__":
    main(Setup("openai_agents_openllmetry", instrument))
