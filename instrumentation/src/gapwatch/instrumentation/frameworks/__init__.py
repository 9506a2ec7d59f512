"""Integrations with agent frameworks and tool protocols, applied by ``GapwatchInstrumentor``.

Each module exposes ``instrument(patcher)`` and imports its library only when called.
"""
