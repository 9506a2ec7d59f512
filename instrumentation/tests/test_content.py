"""Redaction, size caps, and gapwatch's own failures never reaching the agent."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from gapwatch.instrumentation import default_redactor, tool
from gapwatch.instrumentation._content import prepare_content, truncate
from gapwatch.instrumentation._diagnostics import reset_warnings
from gapwatch.instrumentation.testing import SpanRecorder, capture_spans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
            "Authorization: Bearer [REDACTED]",
        ),
        ("key sk-ant-api03-abcdefghijklmnopqrstu done", "key [REDACTED] done"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token [REDACTED]"),
        ("AKIAABCDEFGHIJKLMNOP", "[REDACTED]"),
        ('{"api_key": "s3cr3t-value"}', '{"api_key": "[REDACTED]"}'),
        ("password=hunter22&user=bob", "password=[REDACTED]&user=bob"),
        ("write to ann.lee+x@mail.example.com now", "write to [EMAIL] now"),
        ("nothing secret in 42 lines", "nothing secret in 42 lines"),
    ],
)
def test_default_redactor_when_secret_present(text: str, expected: str) -> None:
    assert default_redactor(text) == expected


def test_prepare_content_when_value_too_large() -> None:
    value = {"body": "x" * 10_000}
    text = prepare_content(value, default_redactor, 100)
    assert len(text) == 100
    assert text.endswith("…[truncated]")
    assert truncate("short", 100) == "short"
    assert prepare_content("a@b.co", None, 100) == "a@b.co"  # redaction can be turned off


def test_custom_redactor_when_configured() -> None:
    with capture_spans(capture_content=True, redactor=lambda s: s.replace("acme", "***")) as spans:
        with tool("crm", arguments={"customer": "acme"}):
            pass
    assert (spans.one("execute_tool crm").attributes or {})["gen_ai.tool.call.arguments"] == (
        '{"customer":"***"}'
    )


def test_internal_failures_when_hooks_raise_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reset_warnings()

    def broken_classifier(result: Any) -> None:
        raise RuntimeError("classifier bug")

    def broken_redactor(text: str) -> str:
        raise RuntimeError("redactor bug")

    with capture_spans(
        capture_content=True, result_classifier=broken_classifier, redactor=broken_redactor
    ) as spans:

        @tool("search", arguments={"q": "x"})
        def search() -> str:
            return "fine"

        with caplog.at_level(logging.WARNING, logger="gapwatch.instrumentation"):
            results = [search() for _ in range(5)]
    assert results == ["fine"] * 5  # the agent never sees gapwatch's failures
    assert len(spans.named("execute_tool search")) == 5
    warnings = [r for r in caplog.records if r.name == "gapwatch.instrumentation"]
    assert 1 <= len(warnings) <= 3  # one per distinct failure, not one per call


def test_agent_exception_when_gapwatch_hooks_broken(spans: SpanRecorder) -> None:
    error = ValueError("agent bug")
    with capture_spans(redactor=lambda s: 1 / 0):  # type: ignore[arg-type, return-value]
        with pytest.raises(ValueError) as raised:
            with tool("t"):
                raise error
    assert raised.value is error
