"""gapwatch instrumentation: agents emit delegation and tool calls as OpenTelemetry GenAI spans."""

__all__: list[str] = []
