"""OpenAI Agents SDK scenario under OpenInference's ``OpenAIAgentsInstrumentor``.

    python openai_agents_openinference.py LEDGER [--sessions N] [--capture FILE]

The instrumentor replaces the SDK's trace processors with its own (``exclusive_processor``
defaults to true), so nothing goes to OpenAI's trace backend. Sessions get ``session.id`` the
documented OpenInference way, ``using_session``; see ``openai_agents_common`` for the scenario.
"""

from __future__ import annotations

from openai_agents_common import Setup, main
from openinference.instrumentation import using_session
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from opentelemetry.sdk.trace import TracerProvider


def instrument(provider: TracerProvider) -> None:
    OpenAIAgentsInstrumentor().instrument(tracer_provider=provider)


if __name__ == "__main__":
    main(Setup("openai_agents_openinference", instrument,
               session_scope=lambda session_id: using_session(session_id)))
