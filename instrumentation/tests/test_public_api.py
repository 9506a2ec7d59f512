"""The public API is ``gapwatch.instrumentation.__all__``: a new name is a visible change."""

from __future__ import annotations

import gapwatch.instrumentation as api
import gapwatch.instrumentation.testing as testing


def test_public_api_when_imported_is_pinned() -> None:
    assert api.__all__ == [
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
    assert api.__all__ == sorted(api.__all__)
    for name in api.__all__:
        assert getattr(api, name) is not None


def test_testing_helpers_when_imported() -> None:
    assert callable(testing.capture_spans)
    assert testing.SpanRecorder.one is not None


def test_instrumentation_when_imported_pulls_no_storage_or_web_stack() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gapwatch.instrumentation\n"
        "bad = [m for m in ('chdb', 'clickhouse_connect', 'fastapi', 'gapwatch.collector',"
        " 'gapwatch.analyzer') if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
